import type { Access } from '../../platform/authz/access.js';
import { globMatches, globProblem } from '../../platform/authz/glob.js';
import { findAcceptedMemberByUsername } from '../../platform/authz/memberships.js';
import { actionGlobMatchesSomething, isKnownAction } from '../../platform/authz/policies.js';
import { type RuleSpec, rulesCover } from '../../platform/authz/rules.js';
import { CANONICAL, canonicalFromName } from '../../platform/canonical.js';
import { sha256 } from '../../platform/crypto/hashing.js';
import { flag, nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';
import { NOTHING } from '../../platform/db/listing.js';
import { conflict, forbidden, notFound, unprocessable } from '../../platform/errors.js';
import { fetchPage, Page, type Paging } from '../../platform/http/paging.js';
import { demandWithinLimit, orgScope } from '../../platform/limits.js';
import { visibleOwnedIds } from '../../platform/ownership/lookups.js';
import { type ApiKeyWire, presentApiKey } from './present.js';
import * as repo from './repo.js';
import { makeToken, randomPrefix } from './tokens.js';

const READ = 'organization:api_key:read';
const LIMITS = { name: 200, description: 10_000, rules: 200, resources: 100, glob: 200 };
const RESOURCE_SEGMENT = /^[a-z0-9_*-]+$/;

export interface NewRuleInput {
  action: string;
  resources?: string[];
}

/**
 * Checks the shape of key rules and returns them normalized: actions are known codes or globs that
 * match at least one, resources are paths inside this very organization. Problems are a 422 naming
 * the rule.
 */
export function validateKeyRules(organizationCanonical: string, rules: readonly NewRuleInput[]): RuleSpec[] {
  if (rules.length > LIMITS.rules) throw unprocessable(`rules: at most ${LIMITS.rules} rules`);
  return rules.map((rule, index) => {
    const where = `rules[${index}]`;
    const action = rule.action;
    const knownOrGlob =
      action.length <= LIMITS.glob &&
      globProblem(action) === undefined &&
      (isKnownAction(action) || (action.includes('*') && actionGlobMatchesSomething(action, globMatches)));
    if (!knownOrGlob) {
      throw unprocessable(`${where}.action: '${action}' is not a known action code nor a glob matching one`);
    }
    const resources = rule.resources ?? [];
    if (resources.length > LIMITS.resources) {
      throw unprocessable(`${where}.resources: at most ${LIMITS.resources} resources per rule`);
    }
    resources.forEach((resource, r) => {
      const tooComplex = globProblem(resource);
      if (tooComplex) throw unprocessable(`${where}.resources[${r}]: the resource ${tooComplex}`);
      const segments = resource.split(':');
      const shaped =
        resource.length <= LIMITS.glob &&
        segments[0] === 'organization' &&
        segments[1] === organizationCanonical &&
        segments.every((segment) => RESOURCE_SEGMENT.test(segment));
      if (!shaped) {
        throw unprocessable(
          `${where}.resources[${r}]: '${resource}' must be an entity path of this organization, like 'organization:${organizationCanonical}:project:my-project'`,
        );
      }
    });
    return { action, resources };
  });
}

function describeRule(rule: RuleSpec): string {
  return `'${rule.action}' on ${rule.resources.length ? rule.resources.join(', ') : 'every resource'}`;
}

/** A key never holds more than the rules its creator holds at creation time. */
export function ensureCoveredBy(granted: readonly RuleSpec[], requested: readonly RuleSpec[]): void {
  requested.forEach((rule, index) => {
    if (!rulesCover(granted, rule)) {
      throw forbidden(
        `rules[${index}] (${describeRule(rule)}) exceeds your own permissions: an API key cannot hold more rights than its creator`,
      );
    }
  });
}

function checkText(name: string, description: string | undefined): void {
  if (name.trim().length < 3) throw unprocessable('name: must have at least 3 characters');
  if (name.length > LIMITS.name) throw unprocessable(`name: must have at most ${LIMITS.name} characters`);
  if (description !== undefined && description.length > LIMITS.description) {
    throw unprocessable(`description: must have at most ${LIMITS.description} characters`);
  }
}

/** Longest lifetime a key may be given (ten years); a key without `expires_at` does not expire. */
const MAX_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

function checkedExpiry(expiresAt: number | null | undefined, now: number): number | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  if (expiresAt <= now) throw unprocessable('expires_at: must be in the future (Unix seconds)');
  if (expiresAt > now + MAX_LIFETIME_SECONDS) throw unprocessable('expires_at: must be within ten years');
  return expiresAt;
}

async function uniquePrefix(db: DbHandle): Promise<string> {
  for (;;) {
    const prefix = randomPrefix();
    if (!(await repo.prefixTaken(db, prefix))) return prefix;
  }
}

/**
 * Creates a key and returns its token, which is never stored nor shown again. Used by the API and by
 * the `gantry admin create-api-key` command, so it validates everything but the creator's own rights
 * (the caller checks those: an operator on the command line has none to compare with).
 */
export async function createApiKey(
  db: DbHandle,
  input: {
    organizationId: number;
    name: string;
    canonical?: string;
    description?: string;
    ownerUserId: number | null;
    createdBy: number | null;
    /** The key creating this one (through the API): deleting it deletes this one. */
    createdByKeyId?: number | null;
    /** Unix seconds; undefined or null: no expiry. */
    expiresAt?: number | null;
    rules: RuleSpec[];
    readonly: boolean;
  },
): Promise<{ id: number; canonical: string; token: string }> {
  const run = async (trx: DbHandle) => {
    const org = await repo.organizationById(trx, input.organizationId);
    if (!org) throw notFound(`organization #${input.organizationId}`);
    checkText(input.name, input.description);
    const rules = validateKeyRules(org.canonical, input.rules);
    const canonical = input.canonical || canonicalFromName(input.name);
    if (!CANONICAL.test(canonical) || canonical.length > 100) {
      throw unprocessable(`canonical: '${canonical}' must be 3-100 lowercase letters, digits, '-' or '_'`);
    }
    if (await repo.canonicalTaken(trx, org.id, canonical)) {
      throw conflict(`canonical: an API key '${canonical}' already exists in this organization`);
    }
    const prefix = await uniquePrefix(trx);
    const token = makeToken(prefix);
    const now = nowSeconds();
    const expiresAt = checkedExpiry(input.expiresAt, now);
    const id = await repo.insertKey(
      trx,
      {
        organization_id: org.id,
        canonical,
        name: input.name,
        description: input.description ?? '',
        owner_user_id: input.ownerUserId,
        created_by: input.createdBy,
        prefix,
        token_hash: sha256(token),
        last_seven: token.slice(-7),
        readonly: flag(input.readonly),
        expires_at: expiresAt,
        owner_gone_at: null,
        created_by_key_id: input.createdByKeyId ?? null,
        created_at: now,
        updated_at: now,
      },
      rules,
    );
    return { id, canonical, token };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/** `owner` is a username; it must belong to a member of the organization (or of an ancestor). */
async function ownerId(db: DbHandle, access: Access, username: string): Promise<number> {
  const member = await findAcceptedMemberByUsername(
    db,
    access.chain.map((o) => o.id),
    username,
  );
  if (!member) throw unprocessable(`owner: '${username}' is not a member of this organization`);
  return member.user_id;
}

async function presentOne(db: DbHandle, row: repo.ApiKeyWithOwner, token?: string): Promise<ApiKeyWire> {
  const rules = await repo.rulesOf(db, [row.id]);
  return presentApiKey(row, rules.get(row.id) ?? [], token);
}

export async function findKeyOrFail(db: DbHandle, organizationId: number, canonical: string) {
  const row = await repo.findKey(db, organizationId, canonical);
  if (!row) throw notFound(`API key '${canonical}'`);
  return row;
}

/** The owner of a key, for the permission check (undefined when there is no such key). */
export async function ownerOfKey(db: DbHandle, organizationId: number, canonical: string) {
  return (await repo.findKey(db, organizationId, canonical))?.owner_user_id;
}

export interface NewApiKeyBody {
  name: string;
  canonical?: string;
  description?: string;
  owner?: string;
  expires_at?: number;
  rules: Array<{ action: string; effect: string; resources?: string[] }>;
}

/** Creation through the API: the creator's own rules bound the key's. */
export async function issueApiKey(
  db: DbHandle,
  access: Access,
  body: NewApiKeyBody,
  readonly: boolean,
): Promise<ApiKeyWire> {
  const rules = validateKeyRules(access.organization.canonical, body.rules);
  ensureCoveredBy(access.rules, rules);
  const owner = body.owner ? await ownerId(db, access, body.owner) : access.actor.userId;
  await demandWithinLimit(db, 'apiKeysPerOrg', orgScope(access));
  const created = await createApiKey(db, {
    organizationId: access.organization.id,
    name: body.name,
    canonical: body.canonical,
    description: body.description,
    ownerUserId: owner,
    createdBy: access.actor.userId,
    createdByKeyId: access.actor.apiKeyId,
    expiresAt: body.expires_at,
    rules,
    readonly,
  });
  return presentOne(db, await findKeyOrFail(db, access.organization.id, created.canonical), created.token);
}

export async function readApiKey(db: DbHandle, access: Access, canonical: string): Promise<ApiKeyWire> {
  return presentOne(db, await findKeyOrFail(db, access.organization.id, canonical));
}

/**
 * Keys the caller may read, paged in SQL. When the caller's read rules are scoped to some key
 * canonicals (or come only from ownership), the visible ids are decided first with the same
 * evaluator as enforcement, then paged.
 */
export async function listApiKeys(
  db: DbHandle,
  access: Access,
  memberId: number | undefined,
  paging: Paging,
): Promise<Page<ApiKeyWire>> {
  const orgId = access.organization.id;
  let query = repo.keysOf(db, orgId);
  let ownerFilter: number | null | undefined;
  if (memberId !== undefined) {
    ownerFilter = await repo.userOfMembership(db, orgId, memberId);
    query = ownerFilter === null ? query.where(NOTHING) : query.where('api_keys.owner_user_id', '=', ownerFilter);
  }
  const readsAll = access.rules.some((rule) => rule.resources.length === 0 && globMatches(rule.action, READ));
  if (!readsAll) {
    const visible = await visibleOwnedIds(db, 'api_keys', orgId, (key) =>
      access.can(READ, [key.canonical], key.owner_user_id),
    );
    query = visible.length > 0 ? query.where('api_keys.id', 'in', visible) : query.where(NOTHING);
  }
  const page = await fetchPage(query, paging);
  const rules = await repo.rulesOf(
    db,
    page.items.map((row) => row.id),
  );
  return new Page(
    page.items.map((row) => presentApiKey(row, rules.get(row.id) ?? [])),
    page.total,
    paging,
  );
}

export interface UpdateApiKeyBody {
  name: string;
  description?: string;
  owner?: string;
  expires_at?: number;
}

/**
 * Changes name, description, owner and expiry; rules are immutable (recreate the key to change them).
 * As the contract says for updates, optional fields left out are cleared: no `owner` means no owner,
 * no `expires_at` no expiry. Naming an owner gives a key whose owner left a new one (it works again);
 * the update's audit event records who did it.
 */
export async function updateApiKey(
  db: DbHandle,
  access: Access,
  canonical: string,
  body: UpdateApiKeyBody,
): Promise<ApiKeyWire> {
  const key = await findKeyOrFail(db, access.organization.id, canonical);
  checkText(body.name, body.description);
  const owner = body.owner ? await ownerId(db, access, body.owner) : null;
  const now = nowSeconds();
  await repo.updateKey(db, key.id, {
    name: body.name,
    description: body.description ?? '',
    owner_user_id: owner,
    owner_gone_at: owner === null ? key.owner_gone_at : null,
    expires_at: body.expires_at === key.expires_at ? key.expires_at : checkedExpiry(body.expires_at, now),
    updated_at: now,
  });
  return readApiKey(db, access, canonical);
}

/** Deleting revokes it, and the keys it created (the auth cache is cleared on every replica). */
export async function deleteApiKey(db: DbHandle, access: Access, canonical: string): Promise<void> {
  const key = await findKeyOrFail(db, access.organization.id, canonical);
  await repo.deleteKey(db, key.id);
}
