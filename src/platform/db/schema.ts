import type { Generated } from 'kysely';

/**
 * The database interface Kysely checks every query against: one table type per table. Flags are
 * stored as integers 0/1 (SQLite has no boolean), JSON as text, times as Unix seconds unless the
 * column name says `_ms`.
 */
export interface Database {
  instance_settings: InstanceSettingsTable;
  users: UsersTable;
  user_tokens: UserTokensTable;
  revoked_sessions: RevokedSessionsTable;
  organizations: OrganizationsTable;
  roles: RolesTable;
  role_rules: RoleRulesTable;
  memberships: MembershipsTable;
  teams: TeamsTable;
  team_roles: TeamRolesTable;
  team_members: TeamMembersTable;
  api_keys: ApiKeysTable;
  api_key_rules: ApiKeyRulesTable;
  events: EventsTable;
  rate_limits: RateLimitsTable;
  data_keys: DataKeysTable;
  credentials: CredentialsTable;
  external_backends: ExternalBackendsTable;
  infra_policies: InfraPoliciesTable;
  catalog_sources: CatalogSourcesTable;
  catalog_stacks: CatalogStacksTable;
  jobs: JobsTable;
  job_schedules: JobSchedulesTable;
  workers: WorkersTable;
  config_repositories: ConfigRepositoriesTable;
  projects: ProjectsTable;
  environments: EnvironmentsTable;
  project_favorites: ProjectFavoritesTable;
  components: ComponentsTable;
}

export type Id = Generated<number>;
export type Flag = number;

/** Small key/value facts about this installation (install id, first-start markers, ...). */
export interface InstanceSettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface UsersTable {
  id: Id;
  username: string;
  /** Lower-cased. */
  email: string;
  password_hash: string;
  given_name: string;
  family_name: string;
  locale: string;
  country_code: string | null;
  picture_url: string | null;
  mfa_enabled: Flag;
  email_verified: Flag;
  /** JSON: the console's onboarding state. */
  guide: string | null;
  /** Bumped on password change and deletion: older session tokens stop working. */
  token_version: number;
  last_login_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Single-use tokens mailed to users: email verification, password reset, login confirmation. */
export interface UserTokensTable {
  id: Id;
  user_id: number;
  purpose: string;
  token_hash: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

/** Sessions ended by a logout (the `sid` claim of their tokens), kept until they would have expired. */
export interface RevokedSessionsTable {
  session_id: string;
  user_id: number;
  expires_at: number;
  revoked_at: number;
}

export interface OrganizationsTable {
  id: Id;
  canonical: string;
  name: string;
  parent_id: number | null;
  is_root: Flag;
  mfa_enabled: Flag;
  quotas: Flag;
  can_children_create_appearance: Flag;
  can_children_use_dedicated_authentication: Flag;
  is_using_dedicated_authentication: Flag;
  created_at: number;
  updated_at: number;
}

export interface RolesTable {
  id: Id;
  organization_id: number;
  canonical: string;
  name: string;
  description: string;
  /** Built-in roles cannot be changed or deleted. */
  is_default: Flag;
  created_at: number;
  updated_at: number;
}

export interface RoleRulesTable {
  id: Id;
  role_id: number;
  action: string;
  effect: string;
  /** JSON array of resource globs; empty means every entity of the kind in the organization. */
  resources: string;
}

/** An organization member, or a pending invitation (user_id null until accepted). */
export interface MembershipsTable {
  id: Id;
  organization_id: number;
  user_id: number | null;
  role_id: number;
  invitation_email: string | null;
  invitation_state: string | null;
  invitation_token_hash: string | null;
  invitation_expires_at: number | null;
  invited_by: number | null;
  invited_at: number | null;
  invitation_resent_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface TeamsTable {
  id: Id;
  organization_id: number;
  canonical: string;
  name: string;
  owner_user_id: number | null;
  created_at: number;
  updated_at: number;
}

export interface TeamRolesTable {
  team_id: number;
  role_id: number;
}

export interface TeamMembersTable {
  team_id: number;
  user_id: number;
  created_at: number;
}

export interface ApiKeysTable {
  id: Id;
  organization_id: number;
  canonical: string;
  name: string;
  description: string;
  owner_user_id: number | null;
  created_by: number | null;
  /** Public identifier embedded in the token; used to find the key. */
  prefix: string;
  /** SHA-256 of the whole token. */
  token_hash: string;
  last_seven: string;
  readonly: Flag;
  last_used_at: number | null;
  /** Unix seconds after which the key no longer works; null: no expiry. */
  expires_at: number | null;
  /** When the owner's account was deleted: the key stops working until an admin gives it an owner. */
  owner_gone_at: number | null;
  /** The key that created this one through the API: deleting it deletes this one. */
  created_by_key_id: number | null;
  created_at: number;
  updated_at: number;
}

export interface ApiKeyRulesTable {
  id: Id;
  api_key_id: number;
  action: string;
  effect: string;
  resources: string;
}

export interface EventsTable {
  id: Id;
  organization_id: number;
  type: string;
  severity: string;
  title: string;
  message: string;
  color: string | null;
  icon: string | null;
  /** JSON array of {key, value}. */
  tags: string;
  timestamp_ms: number;
}

/** Fixed-window counters shared by every replica (login and password-reset throttling). */
export interface RateLimitsTable {
  key: string;
  window_start: number;
  count: number;
}

/** A data key sealing secrets at rest, wrapped by the master key whose fingerprint is recorded. */
export interface DataKeysTable {
  id: Id;
  wrapped: string;
  master_fingerprint: string;
  created_at: number;
  rewrapped_at: number | null;
}

export interface CredentialsTable {
  id: Id;
  organization_id: number;
  canonical: string;
  name: string;
  description: string;
  type: string;
  path: string;
  /** JSON array of the field names present in the sealed value. */
  keys: string;
  /** The raw fields as JSON, sealed (platform/crypto/sealing.ts) with the credential's record context. */
  sealed_raw: string;
  owner_user_id: number | null;
  /** 1 for the organization's built-in `vault` credential: nothing sealed, never changed or deleted. */
  builtin: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface ExternalBackendsTable {
  id: Id;
  organization_id: number;
  purpose: string;
  engine: string;
  is_default: Flag;
  credential_id: number | null;
  project_canonical: string | null;
  environment_canonical: string | null;
  component_canonical: string | null;
  /** The engine configuration as JSON (never secrets: those live in the credential). */
  configuration: string;
  /** Generation of the machine token: only tokens of the current one are accepted (rotation bumps it). */
  token_version: Generated<number>;
  created_at: number;
  updated_at: number;
}

/** Rego policies checked on Terraform plans (modules/infra-policies). */
export interface InfraPoliciesTable {
  id: Id;
  organization_id: number;
  canonical: string;
  name: string;
  description: string;
  /** Rego source, compiled before every save. */
  body: string;
  /** critical | warning | advisory */
  severity: string;
  enabled: Flag;
  owner_user_id: number | null;
  created_at: number;
  updated_at: number;
}

/** A catalog repository (service catalog source): a git URL and branch whose stacks are indexed. */
export interface CatalogSourcesTable {
  id: Id;
  organization_id: number;
  canonical: string;
  name: string;
  url: string;
  branch: string;
  credential_id: number | null;
  owner_user_id: number | null;
  /** Team and visibility stamped on the stacks of the first indexing only. */
  team_id: number | null;
  visibility: string;
  /** The commit last indexed, with the indexer's version: both unchanged means nothing to read. */
  indexed_commit: string | null;
  index_version: Generated<number>;
  /** JSON array of {file, line?, reason}: stacks of the last indexing that could not be read. */
  problems: Generated<string>;
  refreshed_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A stack indexed from a catalog repository; JSON columns hold lists and maps as text. */
export interface CatalogStacksTable {
  id: Id;
  organization_id: number;
  source_id: number;
  canonical: string;
  directory: string;
  name: string;
  author: string;
  description: string;
  keywords: string;
  image: string | null;
  technologies: string;
  dependencies: string;
  cloud_providers: string;
  blueprint: Flag;
  version: string;
  form_enabled: Flag;
  quota_enabled: Flag;
  readme: string | null;
  /** JSON: the use cases of `.cycloid.yml` (engines/stacks UseCase[]). */
  use_cases: string;
  /** The raw `.forms.yml` text. */
  forms: string | null;
  /** JSON: repository path -> content of the files the use cases name. */
  files: string;
  /** Hash of everything read for the stack: unchanged means the refresh leaves the row alone. */
  digest: string;
  visibility: string;
  team_id: number | null;
  /** JSON diagram of the stack's Terraform (StackCraft). */
  diagram: string | null;
  diagram_created_at: number | null;
  diagram_updated_at: number | null;
  /** Base64 PNG. */
  diagram_image: string | null;
  created_at: number;
  updated_at: number;
}

/** Background work (platform/jobs). Times in ms; see the state machine in docs/jobs.md. */
export interface JobsTable {
  id: Id;
  kind: string;
  /** JSON. */
  payload: string;
  /** Deduplication: one pending job per kind and key. */
  key: string | null;
  /** pending | running | failed (waits for a retry) | done | dead (given up; last_error says why). */
  state: string;
  run_at_ms: number;
  attempts: number;
  max_attempts: number;
  /** The runner holding the job while it runs, and until when (a lease it renews). */
  locked_by: string | null;
  locked_until_ms: number | null;
  last_error: string | null;
  created_at_ms: number;
  finished_at_ms: number | null;
}

/** Periodic jobs: whichever runner moves `next_run_at_ms` forward first enqueues the run. */
export interface JobSchedulesTable {
  name: string;
  kind: string;
  every_ms: number;
  next_run_at_ms: number;
  last_run_at_ms: number | null;
  last_run_by: string | null;
}

/** Processes running jobs, with a heartbeat (for operators; leases decide who holds what). */
export interface WorkersTable {
  name: string;
  /** JSON array of strings. */
  tags: string;
  /** JSON array of the job kinds it runs. */
  kinds: string;
  /** running | draining | stopped */
  state: string;
  started_at_ms: number;
  heartbeat_at_ms: number;
}

/** A git repository and branch where the configuration half of deployed stacks is committed. */
export interface ConfigRepositoriesTable {
  id: Id;
  organization_id: number;
  canonical: string;
  name: string;
  url: string;
  branch: string;
  credential_id: number;
  /** At most one per organization (a partial unique index). */
  is_default: Flag;
  owner_user_id: number | null;
  created_at: number;
  updated_at: number;
}

export interface ProjectsTable {
  id: Id;
  organization_id: number;
  canonical: string;
  name: string;
  description: string;
  color: string;
  icon: string;
  cloud_provider: string | null;
  config_repository_id: number;
  team_id: number | null;
  owner_user_id: number | null;
  created_at: number;
  updated_at: number;
}

/** Environments of a project; components reference them by id. */
export interface EnvironmentsTable {
  id: Id;
  organization_id: number;
  project_id: number;
  canonical: string;
  name: string;
  color: string;
  created_at: number;
  updated_at: number;
}

/** A user's favorite projects (the `favorite` flag each caller sees on a project). */
export interface ProjectFavoritesTable {
  user_id: number;
  project_id: number;
  created_at: number;
}

/** A stack's use case deployed in an environment, with its form values (JSON `FormVariables`). */
export interface ComponentsTable {
  id: Id;
  organization_id: number;
  project_id: number;
  environment_id: number;
  /** Null once a catalog refresh dropped the stack; `stack_ref` still names it. */
  stack_id: number | null;
  stack_ref: string;
  stack_version: string;
  canonical: string;
  name: string;
  description: string;
  use_case: string;
  cloud_provider: string | null;
  vars: string;
  created_at: number;
  updated_at: number;
}
