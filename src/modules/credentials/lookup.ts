import type { Vault } from '../../platform/crypto/sealing.js';
import type { DbHandle } from '../../platform/db/database.js';
import { notFound, unprocessable } from '../../platform/errors.js';
import type { CredentialType, SecretFields } from './raw-fields.js';
import { openFields } from './secrets.js';

/*
 * Credentials for the server's own use: a backend connecting to its store, a git fetch with a key, a
 * job calling a cloud API. Modules needing a credential's value import these, and only these, from the
 * credentials module. No permission applies (the operation that names the credential has its own) and
 * the value never goes back to a client: `toJSON` and inspection show the credential without it.
 */

/** A credential opened for the server: `fields` holds the decrypted values. */
export class ServerCredential {
  declare readonly fields: SecretFields;

  constructor(
    readonly id: number,
    readonly canonical: string,
    readonly path: string,
    readonly type: CredentialType,
    fields: SecretFields,
  ) {
    // Not enumerable: a credential logged or serialized by mistake carries no secret.
    Object.defineProperty(this, 'fields', { value: fields, enumerable: false });
  }

  toJSON() {
    return { id: this.id, canonical: this.canonical, path: this.path, type: this.type };
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `ServerCredential(${this.canonical}, ${this.type})`;
  }
}

export interface LookupOptions {
  /** Types the caller can use; another type is a 422 naming both. Omitted: any type. */
  types?: readonly CredentialType[];
  /** The input field that named the credential, prefixed to the messages (`credential_canonical`). */
  field?: string;
}

type Where = { column: 'canonical' | 'path' | 'id'; value: string | number; name: string };

async function lookup(
  db: DbHandle,
  vault: Vault,
  organizationId: number,
  where: Where,
  { types, field }: LookupOptions,
): Promise<ServerCredential> {
  const row = await db
    .selectFrom('credentials')
    .select(['id', 'organization_id', 'canonical', 'path', 'type', 'sealed_raw', 'builtin'])
    .where('organization_id', '=', organizationId)
    .where(where.column, '=', where.value)
    .executeTakeFirst();
  // Named by a client in its input: a missing credential is a mistake in that input, not a missing page.
  if (!row) throw field ? missingCredential(field, where.name) : notFound(`credential ${where.name}`);
  const type = demandType(row, types, field);
  return new ServerCredential(row.id, row.canonical, row.path, type, await openFields(vault, row));
}

/** The one answer for a credential an input names and that does not exist. */
function missingCredential(field: string, name: string) {
  return unprocessable(`${field}: no credential ${name}`);
}

/** The row's type when `types` allows it (or is omitted), else the one answer naming both. */
function demandType(
  row: { canonical: string; type: string },
  types: readonly CredentialType[] | undefined,
  field: string | undefined,
): CredentialType {
  const type = row.type as CredentialType;
  if (types && !types.includes(type)) {
    const expected = types.map((t) => `'${t}'`).join(' or ');
    const prefix = field ? `${field}: ` : '';
    throw unprocessable(`${prefix}credential '${row.canonical}' is of type '${type}'; ${expected} is needed here`);
  }
  return type;
}

/** By canonical, e.g. the `credential_canonical` of a config repository. */
export function credentialByCanonical(
  db: DbHandle,
  vault: Vault,
  organizationId: number,
  canonical: string,
  options: LookupOptions = {},
): Promise<ServerCredential> {
  return lookup(db, vault, organizationId, { column: 'canonical', value: canonical, name: `'${canonical}'` }, options);
}

/** By path, as pipelines and stacks name credentials (`((my-path.ssh_key))`). */
export function credentialByPath(
  db: DbHandle,
  vault: Vault,
  organizationId: number,
  path: string,
  options: LookupOptions = {},
): Promise<ServerCredential> {
  return lookup(db, vault, organizationId, { column: 'path', value: path, name: `with path '${path}'` }, options);
}

/** By id, for rows that reference a credential (an external backend's `credential_id`). */
export function credentialById(
  db: DbHandle,
  vault: Vault,
  organizationId: number,
  id: number,
  options: LookupOptions = {},
): Promise<ServerCredential> {
  return lookup(db, vault, organizationId, { column: 'id', value: id, name: String(id) }, options);
}

/** A credential as other modules name it in their bodies: by canonical, without its secret. */
export interface CredentialRef {
  id: number;
  canonical: string;
  type: CredentialType;
}

/** Credential types a git remote takes: an ssh key, or a username and password over https. */
export const GIT_CREDENTIAL_TYPES: readonly CredentialType[] = ['ssh', 'basic_auth'];

export interface GitCredentialRef extends CredentialRef {
  path: string;
}

/**
 * The git credential an input names by canonical (config and catalog repositories, branch listing),
 * without its secret. Missing or of another type than `types` (default: any git type): the same 422
 * naming `field` as the other lookups, whoever asks.
 */
export async function gitCredential(
  db: DbHandle,
  organizationId: number,
  canonical: string,
  { types = GIT_CREDENTIAL_TYPES, field = 'credential_canonical' }: LookupOptions = {},
): Promise<GitCredentialRef> {
  const row = await db
    .selectFrom('credentials')
    .select(['id', 'canonical', 'type', 'path'])
    .where('organization_id', '=', organizationId)
    .where('canonical', '=', canonical)
    .executeTakeFirst();
  if (!row) throw missingCredential(field, `'${canonical}'`);
  const type = demandType(row, types, field);
  return { id: Number(row.id), canonical: row.canonical, type, path: row.path };
}
