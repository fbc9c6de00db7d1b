import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestServer } from './server.js';

/** Mails written to the server's outbox for one address, decoded from quoted-printable, oldest first. */
export function outboxMails(server: TestServer, to: string): string[] {
  const dir = join(server.dataDir, 'outbox');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(`-${to}.eml`))
    .sort()
    .map((f) =>
      readFileSync(join(dir, f), 'utf8')
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(Number.parseInt(hex, 16))),
    );
}

/**
 * Waits for the n-th mail to an address carrying a labelled token (`Verification token: …`) and
 * returns the token; some mails leave just after the answer.
 */
export async function mailedToken(server: TestServer, to: string, label: RegExp, count = 1): Promise<string> {
  const pattern = new RegExp(`${label.source}: (\\S+)`);
  for (let i = 0; i < 100; i++) {
    const tokens = outboxMails(server, to).flatMap((mail) => pattern.exec(mail)?.[1] ?? []);
    if (tokens.length >= count) return tokens[count - 1];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no mail #${count} to ${to}`);
}
