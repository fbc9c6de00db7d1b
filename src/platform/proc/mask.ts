/**
 * Secret masking for what a child process prints. Secrets are masked as given; a secret cut by a
 * truncation is masked too (a kept text ending with the start of a secret), so a byte cap never leaves
 * half a password behind. Values shorter than 4 characters are not masked: they would blank out
 * ordinary words and are not worth protecting this way.
 */
export const MASK = '[masked]';

export function usableSecrets(secrets: readonly (string | undefined)[] | undefined): string[] {
  const kept = (secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 4);
  // Longest first, so a secret containing another is masked whole.
  return [...new Set(kept)].sort((a, b) => b.length - a.length);
}

export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out;
}

/** Masks whole secrets, then a trailing start of one (what a cut at a byte cap leaves). */
export function maskTruncated(text: string, secrets: readonly string[]): string {
  const out = maskSecrets(text, secrets);
  for (const secret of secrets) {
    for (let n = Math.min(secret.length - 1, out.length); n >= 2; n--) {
      if (out.endsWith(secret.slice(0, n))) return `${out.slice(0, out.length - n)}${MASK}`;
    }
  }
  return out;
}
