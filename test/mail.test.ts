import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { startServer, type TestServer, testEngines } from './helpers/server.js';

const PASSWORD = 'saffron-lantern-27';

function account() {
  const username = `mailer-${randomBytes(3).toString('hex')}`;
  return { username, email: `${username}@example.com`, password: PASSWORD, given_name: 'Mail', family_name: 'Tester' };
}

/** Undoes quoted-printable soft breaks and escapes, enough to read a token out of a text mail. */
function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(Number.parseInt(hex, 16)));
}

async function eventually<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Received {
  from: string;
  to: string[];
  body: string;
}

/** A real SMTP server on a free local port that keeps what it receives. */
async function startSmtp(): Promise<{ port: number; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let body = '';
      stream.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          body: decodeQuotedPrintable(body),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const port = (smtp.server.address() as AddressInfo).port;
  return { port, received, close: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
}

for (const engine of testEngines()) {
  describe(`mail delivery (${engine})`, () => {
    describe('over SMTP', () => {
      let smtp: Awaited<ReturnType<typeof startSmtp>>;
      let server: TestServer;
      before(async () => {
        smtp = await startSmtp();
        server = await startServer(engine, {
          env: { GANTRY_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, GANTRY_MAIL_FROM: 'Gantry <noreply@gantry.test>' },
        });
      });
      after(async () => {
        await server.close();
        await smtp.close();
      });

      it('the verification mail reaches the SMTP server with a working token, and nothing goes to the outbox', async () => {
        const user = account();
        const res = await server.request('POST', '/user', { body: user });
        assert.equal(res.status, 204, res.text);
        const mail = await eventually(() => smtp.received.find((m) => m.to.includes(user.email)), 'the SMTP mail');
        assert.equal(mail.from, 'noreply@gantry.test');
        assert.match(mail.body, /Subject: Verify your Gantry email address/);
        const token = /Verification token: (\S+)/.exec(mail.body)?.[1];
        assert.ok(token, mail.body);
        assert.ok(mail.body.includes(`/user/email/verification/${token}`));
        assert.equal((await server.request('PUT', `/user/email/verification/${token}`)).status, 204);
        const login = await server.request('POST', '/user/login', { body: { email: user.email, password: PASSWORD } });
        assert.equal(login.status, 200);
        assert.equal(existsSync(join(server.dataDir, 'outbox')), false);
      });

      it('the password reset mail goes over SMTP too', async () => {
        const user = account();
        await server.request('POST', '/user', { body: user });
        assert.equal(
          (await server.request('POST', '/user/reset_password', { body: { email: user.email } })).status,
          204,
        );
        const mail = await eventually(
          () => smtp.received.find((m) => m.to.includes(user.email) && /Reset token/.test(m.body)),
          'the reset mail',
        );
        assert.match(mail.body, /Reset token: \S+/);
      });
    });

    describe('to the outbox (no SMTP configured), without leaking secrets to the log', () => {
      let server: TestServer;
      const logs = new PassThrough();
      let logText = '';
      logs.on('data', (chunk: Buffer) => {
        logText += chunk.toString();
      });
      before(async () => {
        server = await startServer(engine, { logDestination: logs });
      });
      after(() => server.close());

      let verificationToken = '';

      it('writes each mail as a private .eml file; the log names the mail, never the reset token or password', async () => {
        const user = account();
        assert.equal((await server.request('POST', '/user', { body: user })).status, 204);
        const dir = join(server.dataDir, 'outbox');
        const file = await eventually(() => readdirSync(dir).find((f) => f.endsWith(`-${user.email}.eml`)), 'the .eml');
        assert.equal(statSync(join(dir, file)).mode & 0o077, 0, 'only the owner may read the outbox');
        const mail = decodeQuotedPrintable(readFileSync(join(dir, file), 'utf8'));
        assert.match(mail, /^To: /m);
        const token = /Verification token: (\S+)/.exec(mail)?.[1];
        assert.ok(token);
        verificationToken = token;
        assert.equal((await server.request('PUT', `/user/email/verification/${token}`)).status, 204);
        await server.request('POST', '/user/login', { body: { email: user.email, password: PASSWORD } });
        await server.request('POST', '/user/reset_password', { body: { email: user.email } });
        const reset = await eventually(() => {
          const files = readdirSync(dir).filter((f) => f.endsWith(`-${user.email}.eml`));
          const texts = files.map((f) => decodeQuotedPrintable(readFileSync(join(dir, f), 'utf8')));
          return texts.map((t) => /Reset token: (\S+)/.exec(t)?.[1]).find(Boolean);
        }, 'the reset mail');
        await server.request('PUT', '/user/reset_password', { body: { token: reset, password: `new-${PASSWORD}` } });
        await new Promise((r) => setTimeout(r, 100));
        assert.match(logText, /mail written to the outbox/);
        assert.ok(!logText.includes(reset as string), 'the reset token is not logged');
        assert.ok(!logText.includes(PASSWORD), 'the password is not logged');
      });

      it('tokens carried in URL paths are redacted from the request log', () => {
        assert.ok(verificationToken);
        assert.ok(!logText.includes(verificationToken), 'the verification token is not logged');
      });
    });
  });
}
