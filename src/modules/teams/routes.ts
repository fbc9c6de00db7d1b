import type { Module } from '../../platform/http/operation.js';
import type { ModuleDeps } from '../index.js';

export function teamsModule(_deps: ModuleDeps): Module {
  return { name: 'teams', operations: {} };
}
