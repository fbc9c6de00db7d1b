import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrg, createUser, tenant } from '../helpers/factories.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('rate limits that hold, and cannot be turned against someone else', () => {
  let server: TestServer;
  before(async () => {
    // One proxy in front: the client address is the last X-Forwarded-For entry.
    server = await startServer('sqlite', { env: { GANTRY_TRUST_PROXY: '1' } });
  });
  after(() => server.close());
  const from = (ip: string) => ({ 'x-forwarded-for': `203.0.113.250, ${ip}` });

  it("failures from one address lock that address out of the account, not the account's owner", async () => {
    const user = await createUser(server);
    const org = await createOrg(server, user);
    const attempt = (ip: string, password: string) =>
      server.request('POST', '/user/login', {
        headers: from(ip),
        body: { email: user.email, password, organization_canonical: org.canonical },
      });
    for (let i = 0; i < 10; i++) assert.equal((await attempt('198.51.100.7', 'wrong-password-x')).status, 401);
    assert.equal((await attempt('198.51.100.7', user.password)).status, 429, 'the attacking address is stopped');
    // The leftmost entry is the client's to choose; it changes nothing.
    const spoofed = await server.request('POST', '/user/login', {
      headers: { 'x-forwarded-for': '192.0.2.1, 198.51.100.7' },
      body: { email: user.email, password: user.password, organization_canonical: org.canonical },
    });
    assert.equal(spoofed.status, 429);
    const owner = await attempt('198.51.100.8', user.password);
    assert.equal(owner.status, 200, `the owner logs in from elsewhere: ${owner.text}`);
  });

  it('sign-ups are throttled per client address', async () => {
    const signUp = (n: number) =>
      server.request('POST', '/user', {
        headers: from('198.51.100.20'),
        body: {
          username: `signup-${n}-${Date.now()}`,
          email: `signup-${n}-${Date.now()}@example.com`,
          password: 'a-long-enough-password-42',
          given_name: 'Sign',
          family_name: 'Up',
        },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await signUp(i)).status);
    assert.ok(
      statuses.slice(0, 10).every((s) => s < 300),
      statuses.join(','),
    );
    assert.equal(statuses[10], 429);
    assert.ok((await signUp(99)).status === 429);
  });

  it('invitation mails are throttled per organization', async () => {
    const { org, token } = await tenant(server);
    const invite = (n: number) =>
      server.request('POST', `/organizations/${org.canonical}/members`, {
        token,
        body: { email: `invitee-${n}@example.com`, role_canonical: 'organization-member' },
      });
    for (let i = 0; i < 100; i++) assert.equal((await invite(i)).status, 200);
    const over = await invite(100);
    assert.equal(over.status, 429, over.text);
    const list = await server.request('GET', `/organizations/${org.canonical}/members?page_size=1000`, { token });
    assert.ok(!list.body.data.some((m: any) => m.invitation_email === 'invitee-100@example.com'), 'nothing written');
  });
});
