import { POLICIES } from './policies.js';
import type { RuleSpec } from './rules.js';

export interface BuiltinRole {
  canonical: string;
  name: string;
  description: string;
  rules: RuleSpec[];
}

const all = (action: string): RuleSpec => ({ action, resources: [] });

/** Reading secret values is never part of a read-only role: credential values need an explicit grant. */
const SECRET_READS = new Set(['organization:credential:read']);
const READ_EVERYTHING: RuleSpec[] = POLICIES.filter((p) => p.code.endsWith(':read') && !SECRET_READS.has(p.code)).map(
  (p) => all(p.code),
);

/** Roles every organization starts with; they cannot be changed or deleted. */
export const BUILTIN_ROLES: BuiltinRole[] = [
  {
    canonical: 'organization-admin',
    name: 'Organization admin',
    description: 'Full access to everything in the organization and its children.',
    rules: [all('organization:**')],
  },
  {
    canonical: 'organization-member',
    name: 'Organization member',
    description: 'Reads everything in the organization except secret values; changes nothing.',
    rules: [...READ_EVERYTHING, all('organization:**:list')],
  },
  {
    canonical: 'default-project-creator',
    name: 'Project creator',
    description: 'Reads the organization and creates projects, which they then own.',
    rules: [...READ_EVERYTHING, all('organization:**:list'), all('organization:project:create')],
  },
  {
    canonical: 'default-project-viewer',
    name: 'Project viewer',
    description: 'Reads projects, their environments, components and pipelines (jobs, builds, resources).',
    rules: [
      all('organization:read'),
      all('organization:project:**:read'),
      all('organization:project:**:list'),
      // Pipelines' jobs, builds and resources are coded under organization:pipeline (see policies.ts).
      all('organization:pipeline:**:read'),
      all('organization:pipeline:**:list'),
    ],
  },
  {
    canonical: 'default-no-permissions',
    name: 'No permissions',
    description: 'Membership only: rights come from teams or ownership.',
    rules: [],
  },
];

export const ADMIN_ROLE = 'organization-admin';
