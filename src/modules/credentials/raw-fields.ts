import { X509Certificate } from 'node:crypto';
import type { components } from '../../generated/contract.js';
import { unprocessable } from '../../platform/errors.js';
import { validateServiceAccountKey } from './gcp-auth.js';
import { sshKeyProblem } from './ssh-key.js';

export type CredentialType = components['schemas']['Credential']['type'];
export type CredentialRaw = components['schemas']['CredentialRaw'];
/** What is sealed: the raw fields of a type as strings (for `custom`, the user's own map). */
export type SecretFields = Record<string, string>;

interface TypeSpec {
  required: readonly string[];
  optional?: readonly string[];
  /** A problem with the fields as a whole, or with one field's content (never quoting secrets). */
  check?: (fields: SecretFields) => string | undefined;
}

const USER_PASS = ['username', 'password'] as const;

/** Raw fields per credential type (credentials-and-backends.md §1): data, not code paths. */
export const CREDENTIAL_TYPES: Record<CredentialType, TypeSpec> = {
  ssh: { required: ['ssh_key'], check: (f) => prefixed('ssh_key', sshKeyProblem(f.ssh_key!)) },
  aws: { required: ['access_key', 'secret_key'], check: (f) => noSpaces(f, ['access_key', 'secret_key']) },
  gcp: { required: ['json_key'], check: (f) => prefixed('json_key', validateServiceAccountKey(f.json_key!)) },
  azure: {
    required: ['client_id', 'client_secret', 'subscription_id', 'tenant_id'],
    optional: ['environment'],
  },
  azure_storage: { required: ['account_name', 'access_key'] },
  basic_auth: { required: USER_PASS },
  elasticsearch: { required: [], optional: ['ca_cert', ...USER_PASS], check: elasticsearchProblem },
  swift: {
    required: ['auth_url', 'username', 'password', 'domain_id', 'tenant_id'],
    check: (f) => (/^https?:\/\/\S+$/.test(f.auth_url!) ? undefined : 'auth_url: must be an http(s) URL'),
  },
  vmware: { required: USER_PASS },
  custom: { required: [] },
};

const CUSTOM_FIELD = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * The fields to seal for a type, checked: every required field present and non-empty, no field of
 * another type, content checks per type. Throws 422 naming fields, never values.
 */
export function secretFieldsFor(type: CredentialType, raw: CredentialRaw): SecretFields {
  const given = Object.entries(raw ?? {}).filter(([, value]) => value !== undefined && value !== null);
  if (type === 'custom') return customFields(given);
  const spec = CREDENTIAL_TYPES[type];
  const allowed = new Set([...spec.required, ...(spec.optional ?? [])]);
  const foreign = given.map(([name]) => name).filter((name) => !allowed.has(name));
  if (foreign.length > 0) {
    throw unprocessable(
      `raw: ${list(foreign)} ${foreign.length === 1 ? 'is not a field' : 'are not fields'} of ${type} credentials (${describe(spec)})`,
    );
  }
  const fields: SecretFields = {};
  for (const [name, value] of given) {
    if (typeof value !== 'string') throw unprocessable(`raw.${name}: must be a string`);
    if (value !== '') fields[name] = value;
  }
  const missing = spec.required.filter((name) => fields[name] === undefined);
  if (missing.length > 0) {
    throw unprocessable(`raw: ${type} credentials need ${list(missing)} (${describe(spec)})`);
  }
  const problem = spec.check?.(fields);
  if (problem) throw unprocessable(`raw.${problem}`);
  return fields;
}

function customFields(given: [string, unknown][]): SecretFields {
  const other = given.map(([name]) => name).filter((name) => name !== 'raw');
  if (other.length > 0) {
    throw unprocessable(`raw: custom credentials keep their fields under raw.raw, not ${list(other)}`);
  }
  const map = given.find(([name]) => name === 'raw')?.[1];
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw unprocessable('raw.raw: custom credentials need an object of field names to string values');
  }
  const entries = Object.entries(map as Record<string, unknown>);
  if (entries.length === 0) throw unprocessable('raw.raw: custom credentials need at least one field');
  const fields: SecretFields = {};
  for (const [name, value] of entries) {
    if (!CUSTOM_FIELD.test(name)) {
      throw unprocessable(
        `raw.raw: field names use letters, digits, '_', '-' and '.' (1-100 characters), got '${name.slice(0, 100)}'`,
      );
    }
    if (typeof value !== 'string') throw unprocessable(`raw.raw.${name}: values must be strings`);
    fields[name] = value;
  }
  return fields;
}

/** Back to the wire: `custom` keeps its map under `raw.raw`. */
export function rawFromFields(type: CredentialType, fields: SecretFields): CredentialRaw {
  return type === 'custom' ? { raw: { ...fields } } : ({ ...fields } as CredentialRaw);
}

function elasticsearchProblem(fields: SecretFields): string | undefined {
  const hasUser = fields.username !== undefined;
  if (hasUser !== (fields.password !== undefined)) return 'username: username and password go together';
  if (!hasUser && fields.ca_cert === undefined) return 'ca_cert: give ca_cert, username and password, or all three';
  if (fields.ca_cert !== undefined) {
    try {
      new X509Certificate(fields.ca_cert);
    } catch {
      return 'ca_cert: is not a PEM certificate';
    }
  }
  return undefined;
}

function noSpaces(fields: SecretFields, names: string[]): string | undefined {
  const spaced = names.find((name) => /\s/.test(fields[name] ?? ''));
  return spaced ? `${spaced}: must not contain spaces or line breaks` : undefined;
}

const prefixed = (field: string, problem: string | undefined) => (problem ? `${field}: ${problem}` : undefined);
const list = (names: string[]) => names.map((n) => `'${n}'`).join(', ');
function describe(spec: TypeSpec): string {
  const required = spec.required.length > 0 ? `fields ${list([...spec.required])}` : 'no required field';
  const optional = spec.optional?.length ? `; optional ${list([...spec.optional])}` : '';
  return `${required}${optional}`;
}
