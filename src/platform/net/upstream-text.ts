/** What an upstream might echo back that must never reach a message: keys, JWTs, tokens, long base64. */
const SECRET_LOOKING = [
  /-----BEGIN[^-]*-----[\s\S]*?(?:-----END[^-]*-----|$)/g,
  /eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/g,
  /ya29\.[A-Za-z0-9._-]*/g,
  /[A-Za-z0-9+/_=-]{32,}/g,
];

/**
 * Upstream text fit to quote in an error message (log stores, cloud APIs may echo what they were sent):
 * the credential's own values and anything secret-looking blanked out, one line, at most 200 characters.
 */
export function quoteUpstream(text: string, secrets: readonly (string | undefined)[] = []): string {
  let safe = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) safe = safe.split(secret).join('[redacted]');
  }
  safe = safe.replace(/(authorization|signature|credential)\s*[=:]\s*\S+/gi, '$1=[redacted]');
  safe = SECRET_LOOKING.reduce((out, pattern) => out.replace(pattern, '[redacted]'), safe);
  const oneLine = safe.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 197)}...` : oneLine;
}
