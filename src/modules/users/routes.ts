import type { Module } from '../../platform/http/operation.js';
import type { ModuleDeps } from '../index.js';

export function usersModule(_deps: ModuleDeps): Module {
  return { name: 'users', operations: {} };
}
