import type { Module } from '../../platform/http/operation.js';
import type { ModuleDeps } from '../index.js';

export function organizationsModule(_deps: ModuleDeps): Module {
  return { name: 'organizations', operations: {} };
}
