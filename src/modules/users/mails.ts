import type { FastifyBaseLogger } from 'fastify';
import type { Mail, Mailer } from '../../platform/mail/mailer.js';

/**
 * The mails of the account flows. Each carries the raw token, the API route that uses it and a ready
 * curl command, since a console is not always in front of the API.
 */
export function verificationMail(to: string, baseUrl: string, token: string, changingAddress = false): Mail {
  const url = `${baseUrl}/user/email/verification/${token}`;
  return {
    to,
    subject: changingAddress ? 'Confirm your new Gantry email address' : 'Verify your Gantry email address',
    text: [
      changingAddress
        ? 'Someone (hopefully you) asked to use this address for a Gantry account.'
        : 'Welcome to Gantry. Please confirm this email address.',
      '',
      `Verification token: ${token}`,
      `Confirm it with a PUT request to ${url}`,
      `  curl -X PUT ${url}`,
      '',
      'The link is valid for 24 hours and works once. If you did not ask for this, ignore this mail.',
    ].join('\n'),
  };
}

export function passwordResetMail(to: string, baseUrl: string, token: string): Mail {
  return {
    to,
    subject: 'Reset your Gantry password',
    text: [
      'Someone (hopefully you) asked to reset the password of your Gantry account.',
      '',
      `Reset token: ${token}`,
      `Choose a new password with a PUT request to ${baseUrl}/user/reset_password:`,
      `  curl -X PUT ${baseUrl}/user/reset_password -H 'Content-Type: application/json' \\`,
      `    -d '{"token":"${token}","password":"<new password>"}'`,
      '',
      'The token is valid for 1 hour and works once. If you did not ask for this, ignore this mail:',
      'your password stays as it is.',
    ].join('\n'),
  };
}

export function loginConfirmationMail(to: string, baseUrl: string, token: string): Mail {
  const url = `${baseUrl}/user/email/authentication/${token}`;
  return {
    to,
    subject: 'Confirm your Gantry login',
    text: [
      'A login to your Gantry account is waiting for confirmation.',
      '',
      `Confirmation token: ${token}`,
      `Finish logging in with a PUT request to ${url}`,
      `  curl -X PUT ${url}`,
      '',
      'The token is valid for 15 minutes and works once. If this was not you, change your password.',
    ].join('\n'),
  };
}

export function addressChangedMail(to: string, newAddress: string): Mail {
  return {
    to,
    subject: 'Your Gantry email address is changing',
    text: [
      `A change of your Gantry account's email address to ${newAddress} was requested.`,
      'It takes effect once the new address is confirmed. If this was not you, change your password now.',
    ].join('\n'),
  };
}

/**
 * Sends without ever failing the caller: the account change is already committed, and a lost mail can
 * be asked for again. The log line names the recipient, never the token.
 */
export async function deliver(mailer: Mailer, log: FastifyBaseLogger, mail: Mail): Promise<void> {
  try {
    await mailer.send(mail);
  } catch (error) {
    log.error({ to: mail.to, subject: mail.subject, err: { message: (error as Error).message } }, 'mail not sent');
  }
}
