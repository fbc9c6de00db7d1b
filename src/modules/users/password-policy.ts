import { unprocessable } from '../../platform/errors.js';

export const PASSWORD_MIN_LENGTH = 8;
/** scrypt cost grows with the input; nobody types more than this. */
export const PASSWORD_MAX_LENGTH = 1024;

/**
 * Passwords of 8+ characters that top every leaked-password list. A short list on purpose: it stops
 * the obvious choices without a dictionary download.
 */
const COMMON_PASSWORDS = new Set([
  '00000000',
  '11111111',
  '12345678',
  '123456789',
  '1234567890',
  '1q2w3e4r',
  '1q2w3e4r5t',
  '87654321',
  'abc12345',
  'abcd1234',
  'admin123',
  'administrator',
  'baseball',
  'changeme',
  'cycloid123',
  'football',
  'gantry123',
  'iloveyou',
  'letmein1',
  'master123',
  'p@ssw0rd',
  'passw0rd',
  'password',
  'password1',
  'password12',
  'password123',
  'princess',
  'qwerty123',
  'qwertyui',
  'qwertyuiop',
  'sunshine',
  'superman',
  'trustno1',
  'welcome1',
  'welcome123',
  'zaq12wsx',
]);

/** Reasons a password is refused, empty when it is acceptable. */
export function passwordProblems(password: string, identity: { username?: string; email?: string }): string[] {
  const problems: string[] = [];
  const lower = password.toLowerCase();
  if (password.length < PASSWORD_MIN_LENGTH) problems.push(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  if (COMMON_PASSWORDS.has(lower)) problems.push('is one of the most common passwords');
  if (new Set(password).size < 4) problems.push('must use at least 4 different characters');
  const email = identity.email?.toLowerCase();
  const names = [identity.username?.toLowerCase(), email, email?.split('@')[0]].filter(
    (n): n is string => !!n && n.length >= 3,
  );
  if (names.includes(lower)) problems.push('must not be your username or email address');
  return problems;
}

/** Throws 422 naming the field when the password breaks the policy. */
export function assertPasswordAcceptable(
  field: string,
  password: string,
  identity: { username?: string; email?: string },
): void {
  const problems = passwordProblems(password, identity);
  if (problems.length > 0) {
    throw unprocessable(
      `${field}: ${problems[0]}`,
      problems.map((p) => `${field}: ${p}`),
    );
  }
}
