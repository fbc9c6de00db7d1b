import type { Module } from '../../platform/http/operation.js';
import type { ModuleDeps } from '../index.js';

export function rolesModule(_deps: ModuleDeps): Module {
  return { name: 'roles', operations: {} };
}
