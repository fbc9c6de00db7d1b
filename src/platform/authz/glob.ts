/**
 * Colon-path globs, as used by rule actions and resources:
 * - `*` matches any characters inside one segment (`cy-*` matches `cy-prod`, `*` matches `team`);
 * - `**` as a whole segment matches any number of segments, including none.
 * Compiled globs are cached: the same few patterns are checked on every request.
 */
const cache = new Map<string, (value: string) => boolean>();
const CACHE_LIMIT = 10_000;

export function globMatches(pattern: string, value: string): boolean {
  let matcher = cache.get(pattern);
  if (!matcher) {
    matcher = compileGlob(pattern);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, matcher);
  }
  return matcher(value);
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function compileGlob(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const segments = pattern.split(':');
  let source = '';
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '**') {
      // Any number of whole segments; absorbs the separator on one side so `a:**` matches `a`.
      source += index === 0 ? (last ? '.*' : '(?:[^:]*:)*') : last ? '(?::.*)?' : '(?::[^:]*)*:';
      return;
    }
    const part = segment.split('*').map(escapeRegex).join('[^:]*');
    const previousWasDoubleStar = index > 0 && segments[index - 1] === '**';
    source += (index === 0 || previousWasDoubleStar ? '' : ':') + part;
  });
  const regex = new RegExp(`^${source}$`);
  return (value) => regex.test(value);
}
