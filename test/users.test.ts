import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createApiKey } from '../src/modules/api-keys/service.js';
import { sha256 } from '../src/platform/crypto/hashing.js';
import { rateKey } from '../src/platform/http/rate-limit.js';
import { addMember, createOrg, createUser, sessionToken, tenant } from './helpers/factories.js';
import { mailedToken, outboxMails } from './helpers/outbox.js';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const GOOD_PASSWORD = 'tangerine-kettle-93';
const unique = () => randomBytes(3).toString('hex');

async function userRow(server: TestServer, username: string) {
  return server.database.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

async function clearRateLimits(server: TestServer) {
  await server.database.db.deleteFrom('rate_limits').execute();
}

/** A pending invitation written straight to the database, as the members module stores it. */
async function invite(server: TestServer, org: { id: number }, email: string, role = 'organization-member') {
  const token = `invite-${randomBytes(16).toString('hex')}`;
  const roleRow = await server.database.db
    .selectFrom('roles')
    .select('id')
    .where('organization_id', '=', org.id)
    .where('canonical', '=', role)
    .executeTakeFirstOrThrow();
  const now = Math.floor(Date.now() / 1000);
  await server.database.db
    .insertInto('memberships')
    .values({
      organization_id: org.id,
      user_id: null,
      role_id: roleRow.id,
      invitation_email: email.toLowerCase(),
      invitation_state: 'pending',
      invitation_token_hash: sha256(token),
      invitation_expires_at: now + 3600,
      invited_by: null,
      invited_at: now,
      invitation_resent_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return token;
}

async function membership(server: TestServer, orgId: number, email: string) {
  return server.database.db
    .selectFrom('memberships')
    .leftJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.invitation_state', 'memberships.user_id', 'users.username'])
    .where('memberships.organization_id', '=', orgId)
    .where('memberships.invitation_email', '=', email.toLowerCase())
    .executeTakeFirst();
}

function newAccount(overrides: Record<string, unknown> = {}) {
  const username = `ada-${unique()}`;
  return {
    username,
    email: `${username}@Example.com`,
    password: GOOD_PASSWORD,
    given_name: 'Ada',
    family_name: 'Lovelace',
    ...overrides,
  };
}

for (const engine of testEngines()) {
  describe(`users: accounts and sessions (${engine})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(engine);
    });
    after(() => server.close());
    // Every login here comes from 127.0.0.1: each test starts with fresh counters.
    beforeEach(() => clearRateLimits(server));

    describe('the account life cycle', () => {
      const account = newAccount({ country_code: 'FR', locale: 'fr' });
      const email = account.email.toLowerCase();
      let token: string;

      it('signUp creates an unverified account with a hashed password and mails a verification link', async () => {
        const res = await server.request('POST', '/user', { body: account });
        assert.equal(res.status, 204, res.text);
        const row = await userRow(server, account.username);
        assert.ok(row);
        assert.equal(row.email, email);
        assert.equal(row.email_verified, 0);
        assert.match(row.password_hash, /^scrypt\$/);
        assert.ok(!row.password_hash.includes(GOOD_PASSWORD));
        const mail = outboxMails(server, email)[0];
        assert.match(mail, new RegExp(`${server.url}/user/email/verification/[\\w-]+`));
        const stored = await server.database.db
          .selectFrom('user_tokens')
          .selectAll()
          .where('user_id', '=', row.id)
          .executeTakeFirstOrThrow();
        assert.equal(stored.purpose, 'email_verification');
        const raw = await mailedToken(server, email, /Verification token/);
        assert.equal(stored.token_hash, sha256(raw));
        assert.ok(Math.abs(stored.expires_at - stored.created_at - 86400) <= 1);
      });

      it('login is refused (403) until the address is verified', async () => {
        const res = await server.request('POST', '/user/login', { body: { email, password: GOOD_PASSWORD } });
        assert.equal(res.status, 403);
        assert.match(res.body.errors[0].message, /not verified/);
      });

      it('emailVerification verifies once; the token cannot be reused', async () => {
        const raw = await mailedToken(server, email, /Verification token/);
        const res = await server.request('PUT', `/user/email/verification/${raw}`);
        assert.equal(res.status, 204, res.text);
        assert.equal((await userRow(server, account.username))?.email_verified, 1);
        const again = await server.request('PUT', `/user/email/verification/${raw}`);
        assert.equal(again.status, 404);
        const unknown = await server.request('PUT', '/user/email/verification/not-a-token');
        assert.equal(unknown.status, 404);
      });

      it('login by email (any case) or username returns a session; last_login is recorded', async () => {
        const byEmail = await server.request('POST', '/user/login', {
          body: { email: account.email.toUpperCase(), password: GOOD_PASSWORD },
        });
        assert.equal(byEmail.status, 200, byEmail.text);
        assert.deepEqual(byEmail.body.data.owns, []);
        assert.deepEqual(byEmail.body.data.permissions, {});
        const byName = await server.request('POST', '/user/login', {
          body: { username: account.username, password: GOOD_PASSWORD },
        });
        assert.equal(byName.status, 200);
        token = byName.body.data.token;
        assert.ok((await userRow(server, account.username))?.last_login_at);
      });

      it('getUserAccount answers the account, with the country name', async () => {
        const res = await server.request('GET', '/user', { token });
        assert.equal(res.status, 200);
        const data = res.body.data;
        assert.equal(data.username, account.username);
        assert.deepEqual(
          data.emails.map((e: any) => [e.email, e.purpose, e.verified]),
          [[email, 'primary', true]],
        );
        assert.deepEqual(data.country, { code: 'FR', name: 'France' });
        assert.equal(data.locale, 'fr');
        assert.equal(data.mfa_enabled, false);
        assert.ok(data.last_login > 0);
        assert.equal(data.password_hash, undefined);
        assert.equal((await server.request('GET', '/user')).status, 401);
      });

      it('updateUserAccount replaces the profile; omitted picture and country are removed', async () => {
        const body = {
          username: account.username,
          given_name: 'Augusta',
          family_name: 'King',
          locale: 'en',
          mfa_enabled: false,
          picture_url: 'https://example.com/ada.png',
          country_code: 'GB',
        };
        const res = await server.request('PUT', '/user', { token, body });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.data.given_name, 'Augusta');
        assert.equal(res.body.data.picture_url, 'https://example.com/ada.png');
        assert.equal(res.body.data.country.code, 'GB');
        const { picture_url: _p, country_code: _c, ...rest } = body;
        const cleared = await server.request('PUT', '/user', { token, body: rest });
        assert.equal(cleared.status, 200);
        assert.equal(cleared.body.data.picture_url, undefined);
        assert.equal(cleared.body.data.country, undefined);
      });

      it('updateUserAccount refuses a wrong current password, a weak new one, an unknown country; nothing changes', async () => {
        const base = {
          username: account.username,
          given_name: 'Changed',
          family_name: 'King',
          locale: 'en',
          mfa_enabled: false,
        };
        const wrong = await server.request('PUT', '/user', {
          token,
          body: { ...base, password_update: { current: 'not-my-password', new: 'another-fine-pass-1' } },
        });
        assert.equal(wrong.status, 422);
        assert.match(wrong.body.errors[0].message, /password_update\.current/);
        const weak = await server.request('PUT', '/user', {
          token,
          body: { ...base, password_update: { current: GOOD_PASSWORD, new: 'password123' } },
        });
        assert.equal(weak.status, 422);
        assert.match(weak.body.errors[0].message, /common/);
        const country = await server.request('PUT', '/user', { token, body: { ...base, country_code: 'ZZ' } });
        assert.equal(country.status, 422);
        const twoEmails = await server.request('PUT', '/user', {
          token,
          body: {
            ...base,
            emails: [
              { email, purpose: 'primary' },
              { email: 'other@example.com', purpose: 'secondary' },
            ],
          },
        });
        assert.equal(twoEmails.status, 422);
        const taken = await createUser(server);
        const clash = await server.request('PUT', '/user', { token, body: { ...base, username: taken.username } });
        assert.equal(clash.status, 409);
        assert.match(clash.body.errors[0].message, /username/);
        const row = await userRow(server, account.username);
        assert.equal(row?.given_name, 'Augusta');
        assert.equal(row?.token_version, 0);
        assert.equal((await server.request('GET', '/user', { token })).status, 200);
      });

      it('a password change ends older sessions; the new password logs in', async () => {
        const res = await server.request('PUT', '/user', {
          token,
          body: {
            username: account.username,
            given_name: 'Augusta',
            family_name: 'King',
            locale: 'en',
            mfa_enabled: false,
            password_update: { current: GOOD_PASSWORD, new: 'second-good-password' },
          },
        });
        assert.equal(res.status, 200, res.text);
        assert.equal((await server.request('GET', '/user', { token })).status, 401);
        const old = await server.request('POST', '/user/login', { body: { email, password: GOOD_PASSWORD } });
        assert.equal(old.status, 401);
        const fresh = await server.request('POST', '/user/login', {
          body: { email, password: 'second-good-password' },
        });
        assert.equal(fresh.status, 200);
        token = fresh.body.data.token;
      });

      it('password reset: mailed token, weak password refused without spending it, single use, sessions end', async () => {
        const req = await server.request('POST', '/user/reset_password', { body: { email: account.email } });
        assert.equal(req.status, 204);
        const raw = await mailedToken(server, email, /Reset token/);
        const weak = await server.request('PUT', '/user/reset_password', {
          body: { token: raw, password: account.username },
        });
        assert.equal(weak.status, 422);
        const ok = await server.request('PUT', '/user/reset_password', {
          body: { token: raw, password: 'third-good-password' },
        });
        assert.equal(ok.status, 204, ok.text);
        const again = await server.request('PUT', '/user/reset_password', {
          body: { token: raw, password: 'fourth-good-password' },
        });
        assert.equal(again.status, 401);
        assert.equal((await server.request('GET', '/user', { token })).status, 401);
        const login = await server.request('POST', '/user/login', { body: { email, password: 'third-good-password' } });
        assert.equal(login.status, 200);
        token = login.body.data.token;
      });

      it('updateUserGuide stores the JSON for the caller; anonymous calls get 401', async () => {
        const guide = { step: 3, done: ['welcome', 'projects'] };
        const anonymous = await server.request('PUT', '/user/guide', { body: guide });
        assert.equal(anonymous.status, 401);
        const res = await server.request('PUT', '/user/guide', { token, body: guide });
        assert.equal(res.status, 204, res.text);
        assert.deepEqual((await server.request('GET', '/user', { token })).body.data.guide, guide);
      });

      it('deleteUserAccount is refused for the last admin of an organization, then deletes everything', async () => {
        const me = await userRow(server, account.username);
        assert.ok(me);
        const org = await createOrg(server, { ...me, password: '' });
        const refused = await server.request('DELETE', '/user', { token });
        assert.equal(refused.status, 409);
        assert.match(refused.body.errors[0].message, new RegExp(`last admin of organization '${org.canonical}'`));
        assert.ok(await userRow(server, account.username));

        const other = await createUser(server);
        await addMember(server, org, other, 'organization-admin');
        const res = await server.request('DELETE', '/user', { token });
        assert.equal(res.status, 204, res.text);
        assert.equal(await userRow(server, account.username), undefined);
        assert.equal((await server.request('GET', '/user', { token })).status, 401);
        const memberships = await server.database.db
          .selectFrom('memberships')
          .select('id')
          .where('organization_id', '=', org.id)
          .execute();
        assert.equal(memberships.length, 1);
        const events = await server.database.db
          .selectFrom('events')
          .select(['title', 'message'])
          .where('organization_id', '=', org.id)
          .execute();
        assert.ok(events.some((e) => e.title === 'organization:member:delete' && e.message.includes(account.username)));
      });
    });

    describe('bad sign-up input changes nothing', () => {
      it('weak, missing or identity-equal passwords, duplicates and unknown countries are refused', async () => {
        const taken = await createUser(server);
        const count = async () => (await server.database.db.selectFrom('users').select('id').execute()).length;
        const before = await count();
        const cases: Array<[Record<string, unknown>, number, RegExp]> = [
          [newAccount({ password: 'short' }), 400, /password/],
          [newAccount({ password: undefined }), 400, /password/],
          [newAccount({ password: 'Password123' }), 422, /common/],
          [newAccount({ password: 'aaaaaaaaaaaa' }), 422, /different characters/],
          [{ ...newAccount(), username: 'grace-hopper', password: 'grace-hopper' }, 422, /username or email/],
          [newAccount({ username: taken.username, email: `x-${unique()}@example.com` }), 409, /username/],
          [newAccount({ email: taken.email.toUpperCase() }), 409, /email/],
          [newAccount({ country_code: 'ZZ' }), 422, /country_code/],
          [newAccount({ unexpected: 1 }), 400, /unexpected/],
        ];
        for (const [body, status, message] of cases) {
          const res = await server.request('POST', '/user', { body });
          assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
          assert.match(res.body.errors[0].message, message);
        }
        assert.equal(await count(), before);
      });

      it('an expired verification token is refused (422) and verifies nothing', async () => {
        const account = newAccount();
        assert.equal((await server.request('POST', '/user', { body: account })).status, 204);
        const raw = await mailedToken(server, account.email.toLowerCase(), /Verification token/);
        await server.database.db
          .updateTable('user_tokens')
          .set({ expires_at: 1 })
          .where('token_hash', '=', sha256(raw))
          .execute();
        const res = await server.request('PUT', `/user/email/verification/${raw}`);
        assert.equal(res.status, 422);
        assert.match(res.body.errors[0].message, /expired/);
        assert.equal((await userRow(server, account.username))?.email_verified, 0);
      });

      it('emailVerificationResend answers 204 for any address and mails only unverified accounts', async () => {
        const account = newAccount();
        const email = account.email.toLowerCase();
        await server.request('POST', '/user', { body: account });
        const unknown = await server.request('POST', '/user/email/verification', {
          body: { email: `nobody-${unique()}@example.com` },
        });
        assert.equal(unknown.status, 204);
        const res = await server.request('POST', '/user/email/verification', { body: { email } });
        assert.equal(res.status, 204);
        const second = await mailedToken(server, email, /Verification token/, 2);
        assert.equal((await server.request('PUT', `/user/email/verification/${second}`)).status, 204);
      });

      it('an expired or unknown reset token is a 401 and changes nothing', async () => {
        const user = await createUser(server);
        await server.request('POST', '/user/reset_password', { body: { email: user.email } });
        const raw = await mailedToken(server, user.email, /Reset token/);
        await server.database.db
          .updateTable('user_tokens')
          .set({ expires_at: 1 })
          .where('token_hash', '=', sha256(raw))
          .execute();
        const expired = await server.request('PUT', '/user/reset_password', {
          body: { token: raw, password: 'a-brand-new-password' },
        });
        assert.equal(expired.status, 401);
        const unknown = await server.request('PUT', '/user/reset_password', {
          body: { token: 'made-up-token', password: 'a-brand-new-password' },
        });
        assert.equal(unknown.status, 401);
        const login = await server.request('POST', '/user/login', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(login.status, 200);
        const unknownAddress = await server.request('POST', '/user/reset_password', {
          body: { email: `nobody-${unique()}@example.com` },
        });
        assert.equal(unknownAddress.status, 204);
      });
    });

    describe('login', () => {
      it('wrong password and unknown user get the same 401', async () => {
        const user = await createUser(server);
        const wrong = await server.request('POST', '/user/login', {
          body: { email: user.email, password: 'wrong-password!' },
        });
        const unknown = await server.request('POST', '/user/login', {
          body: { email: `ghost-${unique()}@example.com`, password: 'wrong-password!' },
        });
        assert.equal(wrong.status, 401);
        assert.equal(unknown.status, 401);
        assert.equal(wrong.body.errors[0].message, unknown.body.errors[0].message);
        const mismatched = await server.request('POST', '/user/login', {
          body: { email: user.email, username: 'someone-else', password: user.password },
        });
        assert.equal(mismatched.status, 401);
      });

      it('opens the session into an organization: owns and permissions; non-members get the 404 of a missing org', async () => {
        const { user, org, token } = await tenant(server);
        const now = Math.floor(Date.now() / 1000);
        await server.database.db
          .insertInto('teams')
          .values({
            organization_id: org.id,
            canonical: 'ops',
            name: 'Ops',
            owner_user_id: user.id,
            created_at: now,
            updated_at: now,
          })
          .execute();
        const credential = await server.request('POST', `/organizations/${org.canonical}/credentials`, {
          token,
          body: { name: 'Deploy', type: 'basic_auth', path: 'deploy', raw: { username: 'ci', password: 'pw' } },
        });
        assert.equal(credential.status, 200, credential.text);
        const res = await server.request('POST', '/user/login', {
          body: { email: user.email, password: user.password, organization_canonical: org.canonical },
        });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body.data.owns, [
          `organization:${org.canonical}:team:ops`,
          `organization:${org.canonical}:credential:deploy`,
        ]);
        assert.deepEqual(res.body.data.permissions['organization:**'], {
          id: 0,
          action: 'organization:**',
          effect: 'allow',
          resources: [],
        });
        const scoped = await server.request('GET', '/user', { token: res.body.data.token });
        assert.equal(scoped.status, 200);

        const member = await createUser(server);
        await addMember(server, org, member, 'default-project-viewer');
        const viewer = await server.request('POST', '/user/login', {
          body: { username: member.username, password: member.password, organization_canonical: org.canonical },
        });
        assert.equal(viewer.status, 200);
        assert.deepEqual(Object.keys(viewer.body.data.permissions).sort(), [
          'organization:pipeline:**:list',
          'organization:pipeline:**:read',
          'organization:project:**:list',
          'organization:project:**:read',
          'organization:read',
        ]);

        const outsider = await createUser(server);
        const denied = await server.request('POST', '/user/login', {
          body: { email: outsider.email, password: outsider.password, organization_canonical: org.canonical },
        });
        const missing = await server.request('POST', '/user/login', {
          body: { email: outsider.email, password: outsider.password, organization_canonical: `nope-${unique()}` },
        });
        assert.equal(denied.status, 404);
        assert.equal(missing.status, 404);
        assert.equal(denied.body.errors[0].code, missing.body.errors[0].code);
        assert.ok(!denied.text.includes('ops'));
      });

      it('mfa_enabled users confirm the login with a mailed one-time token', async () => {
        const user = await createUser(server);
        const token = sessionToken(server, user);
        const enabled = await server.request('PUT', '/user', {
          token,
          body: { username: user.username, given_name: 'Test', family_name: 'User', locale: 'en', mfa_enabled: true },
        });
        assert.equal(enabled.status, 200);
        assert.equal(enabled.body.data.mfa_enabled, true);
        const res = await server.request('POST', '/user/login', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(res.status, 401);
        assert.deepEqual(res.body.errors[0].details, ['mfa_required']);
        assert.equal(res.body.data, undefined);
        const raw = await mailedToken(server, user.email, /Confirmation token/);
        const confirmed = await server.request('PUT', `/user/email/authentication/${raw}`);
        assert.equal(confirmed.status, 200, confirmed.text);
        assert.equal((await server.request('GET', '/user', { token: confirmed.body.data.token })).status, 200);
        assert.equal((await server.request('PUT', `/user/email/authentication/${raw}`)).status, 401);
        // Turning MFA off needs the current password.
        const off = {
          username: user.username,
          given_name: 'Test',
          family_name: 'User',
          locale: 'en',
          mfa_enabled: false,
        };
        const refused = await server.request('PUT', '/user', { token, body: off });
        assert.equal(refused.status, 422);
        assert.match(refused.body.errors[0].message, /turning MFA off needs the current password/);
        const disabled = await server.request('PUT', '/user', {
          token,
          body: { ...off, password_update: { current: user.password, new: user.password } },
        });
        assert.equal(disabled.status, 200, disabled.text);
        assert.equal(disabled.body.data.mfa_enabled, false);
      });

      it('a new email address needs the current password and replaces the old one only once confirmed', async () => {
        const user = await createUser(server);
        const token = sessionToken(server, user);
        const newEmail = `moved-${unique()}@example.com`;
        const base = {
          username: user.username,
          given_name: 'Test',
          family_name: 'User',
          locale: 'en',
          mfa_enabled: false,
        };
        const unconfirmed = await server.request('PUT', '/user', {
          token,
          body: { ...base, emails: [{ email: newEmail, purpose: 'primary' }] },
        });
        assert.equal(unconfirmed.status, 422, 'a stolen session alone cannot move the account elsewhere');
        assert.match(unconfirmed.body.errors[0].message, /changing the email address needs the current password/);
        const wrong = await server.request('PUT', '/user', {
          token,
          body: {
            ...base,
            emails: [{ email: newEmail, purpose: 'primary' }],
            password_update: { current: 'not-the-password', new: 'not-the-password' },
          },
        });
        assert.equal(wrong.status, 422);
        const res = await server.request('PUT', '/user', {
          token,
          body: {
            ...base,
            emails: [{ email: newEmail, purpose: 'primary' }],
            password_update: { current: user.password, new: user.password },
          },
        });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.data.emails[0].email, user.email);
        assert.match(outboxMails(server, user.email).join('\n'), new RegExp(newEmail));
        const raw = await mailedToken(server, newEmail, /Verification token/);
        assert.equal((await server.request('PUT', `/user/email/verification/${raw}`)).status, 204);
        const account = await server.request('GET', '/user', { token });
        assert.deepEqual(account.body.data.emails[0], {
          email: newEmail,
          purpose: 'primary',
          verified: true,
          created_at: account.body.data.created_at,
        });
        const login = await server.request('POST', '/user/login', {
          body: { email: newEmail, password: user.password },
        });
        assert.equal(login.status, 200);
        const taken = await createUser(server);
        const clash = await server.request('PUT', '/user', {
          token,
          body: { ...base, emails: [{ email: taken.email, purpose: 'primary' }] },
        });
        assert.equal(clash.status, 409);
      });
    });

    describe('invitations', () => {
      it('signUp with an invitation to the same address joins the organization with a verified address', async () => {
        const { org } = await tenant(server);
        const account = newAccount();
        const email = account.email.toLowerCase();
        const token = await invite(server, org, email);
        const res = await server.request('POST', '/user', { body: { ...account, invitation_token: token } });
        assert.equal(res.status, 204, res.text);
        const row = await userRow(server, account.username);
        assert.equal(row?.email_verified, 1);
        assert.deepEqual(outboxMails(server, email), [], 'no verification mail is needed');
        const joined = await membership(server, org.id, email);
        assert.equal(joined?.invitation_state, 'accepted');
        assert.equal(joined?.username, account.username);
        const login = await server.request('POST', '/user/login', {
          body: { email, password: GOOD_PASSWORD, organization_canonical: org.canonical },
        });
        assert.equal(login.status, 200, login.text);
        assert.ok(login.body.data.permissions['organization:read']);
        const events = await server.database.db
          .selectFrom('events')
          .select('title')
          .where('organization_id', '=', org.id)
          .execute();
        assert.ok(events.some((e) => e.title === 'organization:member:accept'));
      });

      it('an invitation sent to another address joins but still needs the verification mail', async () => {
        const { org } = await tenant(server);
        const token = await invite(server, org, `someone-else-${unique()}@example.com`);
        const account = newAccount();
        const res = await server.request('POST', '/user', { body: { ...account, invitation_token: token } });
        assert.equal(res.status, 204, res.text);
        assert.equal((await userRow(server, account.username))?.email_verified, 0);
        await mailedToken(server, account.email.toLowerCase(), /Verification token/);
      });

      it('an unknown or used invitation token fails the sign-up and creates nothing', async () => {
        const { org } = await tenant(server);
        const account = newAccount();
        const unknown = await server.request('POST', '/user', {
          body: { ...account, invitation_token: 'no-such-invite' },
        });
        assert.equal(unknown.status, 404, unknown.text);
        assert.equal(await userRow(server, account.username), undefined);
        const token = await invite(server, org, account.email);
        assert.equal(
          (await server.request('POST', '/user', { body: { ...account, invitation_token: token } })).status,
          204,
        );
        const second = newAccount();
        const reused = await server.request('POST', '/user', { body: { ...second, invitation_token: token } });
        assert.equal(reused.status, 409);
        assert.equal(await userRow(server, second.username), undefined);
      });

      it('an existing user accepts an invitation by logging in with ?invitation_token=', async () => {
        const { org } = await tenant(server);
        const user = await createUser(server);
        const token = await invite(server, org, user.email, 'organization-admin');
        const bad = await server.request('POST', '/user/login?invitation_token=wrong-token', {
          body: { email: user.email, password: user.password, organization_canonical: org.canonical },
        });
        assert.equal(bad.status, 404);
        assert.equal((await membership(server, org.id, user.email))?.invitation_state, 'pending');
        const res = await server.request('POST', `/user/login?invitation_token=${token}`, {
          body: { email: user.email, password: user.password, organization_canonical: org.canonical },
        });
        assert.equal(res.status, 200, res.text);
        assert.ok(res.body.data.permissions['organization:**']);
        assert.equal((await membership(server, org.id, user.email))?.user_id, user.id);
        const tooShort = await server.request('POST', '/user/login?invitation_token=abc', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(tooShort.status, 400);
      });

      it('logging in with an invitation to the same address verifies an unverified account', async () => {
        const { org } = await tenant(server);
        const account = newAccount();
        const email = account.email.toLowerCase();
        assert.equal((await server.request('POST', '/user', { body: account })).status, 204);
        const token = await invite(server, org, email);
        const res = await server.request('POST', `/user/login?invitation_token=${token}`, {
          body: { email, password: GOOD_PASSWORD },
        });
        assert.equal(res.status, 200, res.text);
        assert.equal((await userRow(server, account.username))?.email_verified, 1);
      });
    });

    describe('refreshToken', () => {
      it('re-issues the session, switching organization or to a descendant', async () => {
        const { user, org, token } = await tenant(server);
        const child = await createOrg(server, null, { parent: org });
        const grandchild = await createOrg(server, null, { parent: child });
        const unrelated = (await tenant(server)).org;

        const plain = await server.request('GET', '/user/refresh_token', { token });
        assert.equal(plain.status, 200);
        assert.deepEqual(plain.body.data.permissions, {});
        const intoOrg = await server.request('GET', `/user/refresh_token?organization_canonical=${org.canonical}`, {
          token,
        });
        assert.equal(intoOrg.status, 200);
        assert.ok(intoOrg.body.data.permissions['organization:**']);
        const kept = await server.request('GET', '/user/refresh_token', { token: intoOrg.body.data.token });
        assert.ok(kept.body.data.permissions['organization:**'], 'the organization of the token is kept');
        const intoChild = await server.request(
          'GET',
          `/user/refresh_token?organization_canonical=${org.canonical}&child_canonical=${grandchild.canonical}`,
          { token },
        );
        assert.equal(intoChild.status, 200, intoChild.text);
        const notBelow = await server.request(
          'GET',
          `/user/refresh_token?organization_canonical=${child.canonical}&child_canonical=${org.canonical}`,
          { token },
        );
        assert.equal(notBelow.status, 404);
        const foreign = await server.request(
          'GET',
          `/user/refresh_token?organization_canonical=${unrelated.canonical}`,
          {
            token,
          },
        );
        assert.equal(foreign.status, 404);
        assert.equal((await server.request('GET', '/user/refresh_token')).status, 401);

        const key = await createApiKey(server.database.db, {
          organizationId: org.id,
          name: 'robot',
          ownerUserId: user.id,
          createdBy: user.id,
          rules: [{ action: 'organization:**', resources: [] }],
          readonly: false,
        });
        const byKey = await server.request('GET', '/user/refresh_token', { token: key.token });
        assert.equal(byKey.status, 403);
        assert.equal((await server.request('GET', '/user', { token: key.token })).status, 403);
      });
    });

    describe('rate limits', () => {
      it('10 failed logins per identity give 429 with Retry-After, even with the right password', async () => {
        const user = await createUser(server);
        for (let i = 0; i < 10; i++) {
          const res = await server.request('POST', '/user/login', {
            body: { email: user.email, password: 'not-the-password' },
          });
          assert.equal(res.status, 401);
        }
        const blocked = await server.request('POST', '/user/login', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(blocked.status, 429);
        const retry = Number(blocked.headers.get('retry-after'));
        assert.ok(retry >= 1 && retry <= 900, `Retry-After ${retry}`);
        const other = await createUser(server);
        const unaffected = await server.request('POST', '/user/login', {
          body: { email: other.email, password: other.password },
        });
        assert.equal(unaffected.status, 200);
      });

      it('a successful login clears the failure count', async () => {
        const user = await createUser(server);
        // Failures count per identity and client address (and, with a larger budget, per identity alone).
        const key = rateKey('login:id', `${user.username}\u0000127.0.0.1`);
        const fail = () =>
          server.request('POST', '/user/login', { body: { username: user.username, password: 'not-the-password' } });
        assert.equal((await fail()).status, 401);
        const counter = () =>
          server.database.db.selectFrom('rate_limits').selectAll().where('key', '=', key).executeTakeFirst();
        assert.equal((await counter())?.count, 1);
        await server.database.db.updateTable('rate_limits').set({ count: 9 }).where('key', '=', key).execute();
        const ok = await server.request('POST', '/user/login', {
          body: { username: user.username, password: user.password },
        });
        assert.equal(ok.status, 200);
        assert.equal(await counter(), undefined);
        assert.equal((await fail()).status, 401);
        assert.equal((await counter())?.count, 1);
      });

      it('50 attempts per client address per 15 minutes', async () => {
        const user = await createUser(server);
        const windowStart = Math.floor(Date.now() / 1000 / 900) * 900;
        await server.database.db
          .insertInto('rate_limits')
          .values({ key: 'login:ip:127.0.0.1', window_start: windowStart, count: 50 })
          .execute();
        const res = await server.request('POST', '/user/login', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(res.status, 429);
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
        // A counter from an earlier window starts again.
        await server.database.db
          .updateTable('rate_limits')
          .set({ window_start: windowStart - 900 })
          .where('key', '=', 'login:ip:127.0.0.1')
          .execute();
        const later = await server.request('POST', '/user/login', {
          body: { email: user.email, password: user.password },
        });
        assert.equal(later.status, 200);
        await clearRateLimits(server);
      });

      it('password reset requests: 5 per address per hour, then 429', async () => {
        const email = `limited-${unique()}@example.com`;
        for (let i = 0; i < 5; i++) {
          assert.equal((await server.request('POST', '/user/reset_password', { body: { email } })).status, 204);
        }
        const blocked = await server.request('POST', '/user/reset_password', { body: { email } });
        assert.equal(blocked.status, 429);
        assert.ok(Number(blocked.headers.get('retry-after')) <= 3600);
        await clearRateLimits(server);
      });
    });
  });
}
