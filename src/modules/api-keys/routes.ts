import type { Module } from '../../platform/http/operation.js';
import type { ModuleDeps } from '../index.js';

export function apiKeysModule(_deps: ModuleDeps): Module {
  return { name: 'api-keys', operations: {} };
}
