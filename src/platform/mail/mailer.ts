import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import nodemailer, { type Transporter } from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface MailReceipt {
  /** Where the mail went: `smtp` or the path of the .eml file in the outbox. */
  delivered: string;
}

export interface MailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://…`; without it, mails go to the outbox folder. */
  smtpUrl: string | undefined;
  from: string;
  dataDir: string;
  log: FastifyBaseLogger;
  /** Longest wait for each step of an SMTP exchange (connect, greeting, any reply), in ms. */
  timeoutMs?: number;
}

/**
 * Sends mails over SMTP when configured; otherwise writes each one as an .eml file under
 * `<data dir>/outbox/` and logs it, so a single-machine install (and the tests) can read links.
 */
export class Mailer {
  private readonly transport: Transporter;
  private readonly outbox: string | undefined;

  constructor(private readonly options: MailerOptions) {
    if (options.smtpUrl) {
      // A black-holed SMTP server must not hold a request (or anything else) for long.
      // nodemailer builds its options from the URL alone (query options included), so the timeouts are
      // set on the transport it made; it reads them at each connection.
      const timeout = options.timeoutMs ?? 10_000;
      this.transport = nodemailer.createTransport(options.smtpUrl);
      const smtp = (this.transport as unknown as { transporter?: { options?: Record<string, unknown> } }).transporter;
      if (smtp?.options) {
        Object.assign(smtp.options, { connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout });
      }
    } else {
      this.outbox = join(options.dataDir, 'outbox');
      this.transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    }
  }

  get mode(): 'smtp' | 'outbox' {
    return this.outbox ? 'outbox' : 'smtp';
  }

  async send(mail: Mail): Promise<MailReceipt> {
    const info = await this.transport.sendMail({ from: this.options.from, ...mail });
    if (!this.outbox) {
      this.options.log.info({ to: mail.to, subject: mail.subject }, 'mail sent');
      return { delivered: 'smtp' };
    }
    mkdirSync(this.outbox, { recursive: true, mode: 0o700 });
    const safeTo = mail.to.replace(/[^\w.@-]/g, '_');
    const file = join(this.outbox, `${Date.now()}-${Math.random().toString(36).slice(2, 8)}-${safeTo}.eml`);
    writeFileSync(file, (info as unknown as { message: Buffer }).message, { mode: 0o600 });
    this.options.log.info({ to: mail.to, subject: mail.subject, file }, 'mail written to the outbox');
    return { delivered: file };
  }

  close(): void {
    this.transport.close();
  }
}
