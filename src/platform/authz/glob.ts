/**
 * Colon-path globs, as used by rule actions and resources:
 * - `*` matches any characters inside one segment (`cy-*` matches `cy-prod`, `*` matches `team`);
 * - `**` as a whole segment matches any number of segments, including none.
 *
 * Patterns come from users (roles and API keys) and run on every request, so matching never
 * backtracks: a segment glob is split into literal pieces found left to right (leftmost match is
 * always right when `*` is the only wildcard), and `**` is matched with the two-pointer wildcard
 * algorithm over segments. Cost is bounded by pattern length times value length, whatever the
 * pattern; writers also bound both (see MAX_GLOB_LENGTH and MAX_GLOB_WILDCARDS).
 */

/** Longest pattern accepted where users write globs (roles, API keys). */
export const MAX_GLOB_LENGTH = 500;
/** Most `*` characters accepted in one pattern where users write globs. */
export const MAX_GLOB_WILDCARDS = 16;

/** Why a user-written glob is refused, or undefined. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_GLOB_LENGTH) return `is longer than ${MAX_GLOB_LENGTH} characters`;
  let wildcards = 0;
  for (let i = 0; i < pattern.length; i++) if (pattern.charCodeAt(i) === 42) wildcards++;
  if (wildcards > MAX_GLOB_WILDCARDS) return `has more than ${MAX_GLOB_WILDCARDS} '*' wildcards`;
  return undefined;
}

type SegmentMatcher = (segment: string) => boolean;
/** One pattern segment: `null` stands for `**`. */
type CompiledGlob = { exact: string } | { segments: Array<SegmentMatcher | null> };

const cache = new Map<string, CompiledGlob>();
const CACHE_LIMIT = 10_000;

export function globMatches(pattern: string, value: string): boolean {
  let compiled = cache.get(pattern);
  if (!compiled) {
    compiled = compileGlob(pattern);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, compiled);
  }
  if ('exact' in compiled) return value === compiled.exact;
  return matchSegments(compiled.segments, value.split(':'));
}

function compileGlob(pattern: string): CompiledGlob {
  if (!pattern.includes('*')) return { exact: pattern };
  return { segments: pattern.split(':').map((segment) => (segment === '**' ? null : segmentMatcher(segment))) };
}

function segmentMatcher(segment: string): SegmentMatcher {
  if (!segment.includes('*')) return (value) => value === segment;
  const pieces = segment.split('*');
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const middle = pieces.slice(1, -1).filter((piece) => piece.length > 0);
  const minLength = pieces.reduce((sum, piece) => sum + piece.length, 0);
  return (value) => {
    if (value.length < minLength || !value.startsWith(first) || !value.endsWith(last)) return false;
    let at = first.length;
    const end = value.length - last.length;
    for (const piece of middle) {
      const found = value.indexOf(piece, at);
      if (found < 0 || found + piece.length > end) return false;
      at = found + piece.length;
    }
    return at <= end;
  };
}

/** Two-pointer wildcard matching over segments, `null` (`**`) matching any run of segments. */
function matchSegments(pattern: Array<SegmentMatcher | null>, value: string[]): boolean {
  let p = 0;
  let v = 0;
  let starP = -1;
  let starV = 0;
  while (v < value.length) {
    const matcher = p < pattern.length ? pattern[p] : undefined;
    if (matcher === null) {
      starP = p++;
      starV = v;
    } else if (matcher?.(value[v])) {
      p++;
      v++;
    } else if (starP >= 0) {
      p = starP + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === null) p++;
  return p === pattern.length;
}
