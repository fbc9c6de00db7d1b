import type { Module } from '../../platform/http/operation.js';
import type { ModuleDeps } from '../index.js';

export function membersModule(_deps: ModuleDeps): Module {
  return { name: 'members', operations: {} };
}
