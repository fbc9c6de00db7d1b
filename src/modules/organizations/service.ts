import { ADMIN_ROLE, BUILTIN_ROLES } from '../../platform/authz/builtin-roles.js';
import { nowSeconds } from '../../platform/db/columns.js';
import type { DbHandle } from '../../platform/db/database.js';

export interface NewOrganizationInput {
  canonical: string;
  name: string;
  parentId: number | null;
  /** The user who becomes the organization's first admin (null for children: parents' admins reach them). */
  adminUserId: number | null;
  isRoot?: boolean;
}

/**
 * Creates an organization with its built-in roles and, when given, its first admin. Call it inside a
 * transaction: the organization is either complete or absent.
 */
export async function createOrganization(db: DbHandle, input: NewOrganizationInput) {
  const now = nowSeconds();
  const org = await db
    .insertInto('organizations')
    .values({
      canonical: input.canonical,
      name: input.name,
      parent_id: input.parentId,
      is_root: input.isRoot ? 1 : 0,
      mfa_enabled: 0,
      quotas: 0,
      can_children_create_appearance: 0,
      can_children_use_dedicated_authentication: 0,
      is_using_dedicated_authentication: 0,
      created_at: now,
      updated_at: now,
    })
    .returning(['id', 'canonical', 'name', 'parent_id'])
    .executeTakeFirstOrThrow();

  let adminRoleId = 0;
  for (const role of BUILTIN_ROLES) {
    const row = await db
      .insertInto('roles')
      .values({
        organization_id: org.id,
        canonical: role.canonical,
        name: role.name,
        description: role.description,
        is_default: 1,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (role.canonical === ADMIN_ROLE) adminRoleId = row.id;
    if (role.rules.length > 0) {
      await db
        .insertInto('role_rules')
        .values(
          role.rules.map((rule) => ({
            role_id: row.id,
            action: rule.action,
            effect: 'allow',
            resources: JSON.stringify(rule.resources),
          })),
        )
        .execute();
    }
  }

  if (input.adminUserId !== null) {
    await db
      .insertInto('memberships')
      .values({
        organization_id: org.id,
        user_id: input.adminUserId,
        role_id: adminRoleId,
        invitation_email: null,
        invitation_state: 'accepted',
        invitation_token_hash: null,
        invitation_expires_at: null,
        invited_by: null,
        invited_at: null,
        invitation_resent_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
  return org;
}
