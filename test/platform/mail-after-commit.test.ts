import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { tenant } from '../helpers/factories.js';
import { startServer, type TestServer, testEngines } from '../helpers/server.js';

/** An SMTP server that accepts connections and never says a word. */
async function blackHole(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

for (const engine of testEngines()) {
  describe(`mail goes after the commit (${engine})`, () => {
    let server: TestServer;
    let smtp: Awaited<ReturnType<typeof blackHole>>;
    before(async () => {
      smtp = await blackHole();
      server = await startServer(engine, {
        env: { GANTRY_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, GANTRY_SMTP_TIMEOUT_MS: '1500' },
      });
    });
    after(async () => {
      await server.close();
      for (const socket of smtp.sockets) socket.destroy();
      smtp.server.close();
    });

    it('a black-holed SMTP server delays only the inviting request, holding no lock; the invitation stays', async () => {
      const { org, token } = await tenant(server);
      const members = `/organizations/${org.canonical}/members`;
      const started = Date.now();
      const invitation = server.request('POST', members, {
        token,
        body: { email: 'someone@example.com', role_canonical: 'organization-member' },
      });
      // While the mail hangs, writes of the same organization go through at once.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const writeStarted = Date.now();
      const team = await server.request('POST', `/organizations/${org.canonical}/teams`, {
        token,
        body: { name: 'Meanwhile', roles_canonical: ['organization-member'] },
      });
      assert.equal(team.status, 200, team.text);
      assert.ok(Date.now() - writeStarted < 1000, `a write waited ${Date.now() - writeStarted} ms`);
      const invited = await invitation;
      assert.equal(invited.status, 200, invited.text);
      assert.ok(Date.now() - started < 10_000, 'the SMTP timeout bounds the wait');
      const list = await server.request('GET', `${members}?page_size=100`, { token });
      assert.ok(
        list.body.data.some((m: any) => m.invitation_email === 'someone@example.com'),
        'the invitation was committed; a resend mails it again',
      );
    });
  });
}
