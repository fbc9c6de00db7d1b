import type { Module } from '../../platform/http/operation.js';
import type { ModuleDeps } from '../index.js';

export function eventsModule(_deps: ModuleDeps): Module {
  return { name: 'events', operations: {} };
}
