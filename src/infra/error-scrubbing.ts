/**
 * What an error report must never carry, whatever an error message happens to contain:
 * credentials (bearer tokens, JWTs, `token=` query values, passwords, URL user info),
 * e-mail addresses, cookies and request bodies. Applied to every event just before it leaves
 * the process, over every string of it, so a message built anywhere is covered.
 *
 * Every pattern is bounded (no unbounded run before a required character) so that scrubbing
 * stays linear on any input; longer strings are cut at MAX_TEXT first.
 */

/** Characters of a local part or a domain label: broader than the accepted e-mails (src/shared/email.ts), on purpose. */
const WORD = String.raw`[\p{L}\p{M}\p{N}_%+'.\-]`
const LABEL = String.raw`[\p{L}\p{M}\p{N}\-]{1,63}`
const TEXT_RULES: readonly [RegExp, string][] = [
  // scheme://user:password@host (MongoDB and Redis URIs): before e-mails, whose pattern would eat the host
  [/\b([a-z][a-z\d+.-]{0,31}:\/\/)[^\s/?#@]{0,256}@/gi, '$1[redacted]@'],
  [/\bBearer\s{1,8}[^\s"',;]{1,4096}/gi, 'Bearer [token]'],
  [/(?<![\w-])eyJ[\w-]{0,4096}\.[\w-]{1,4096}\.[\w-]{0,4096}/g, '[token]'],
  [/([?&;](?:access_)?token=)[^&\s#"']{1,4096}/gi, '$1[redacted]'],
  [/(\b(?:password|passwd|secret)["']?\s{0,8}[:=]\s{0,8})(["'])[^"'\n]{0,256}\2/gi, '$1$2[redacted]$2'],
  [/(\b(?:password|passwd|secret)["']?\s{0,8}[:=]\s{0,8})(?!["'[])[^\s,;&}]{1,256}/gi, '$1[redacted]'],
  [new RegExp(`${WORD}{1,64}@${LABEL}(?:\\.${LABEL}){0,126}`, 'gu'), '[email]'],
]
/** Longest string kept in a report. */
const MAX_TEXT = 16_384

/** Keys whose values are dropped wherever they appear (headers, extra data, serialized objects). */
const SECRET_KEY = /authorization|cookie|password|passwd|secret|token|api[-_]?key|credential/i

/** Event fields that are ours and identify code, not data: left as they are. */
const KEPT = new Set([
  'release',
  'dist',
  'environment',
  'sdk',
  'event_id',
  'timestamp',
  'platform',
  'filename',
  'abs_path',
  'module',
])

/** A text with every credential and e-mail address replaced by a placeholder. */
export function scrubText(text: string): string {
  let scrubbed = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text
  for (const [pattern, replacement] of TEXT_RULES) scrubbed = scrubbed.replace(pattern, replacement)
  return scrubbed
}

/** A copy of `value` (a JSON-like tree) with secret-named keys redacted and every string scrubbed. */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value)
  if (value === null || typeof value !== 'object' || depth > 12) return value
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1))
  const copy: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    if (KEPT.has(key)) copy[key] = item
    else if (SECRET_KEY.test(key) && item !== null && item !== undefined) copy[key] = '[redacted]'
    else copy[scrubText(key)] = scrubValue(item, depth + 1)
  }
  return copy
}

/**
 * An error event as it may leave the process: no request section at all (no body, headers,
 * cookies or query string: route and method travel as tags), no user, and the rest scrubbed.
 */
export function scrubEvent<E extends object>(event: E): E {
  const { request: _request, user: _user, ...rest } = event as E & { request?: unknown; user?: unknown }
  return scrubValue(rest) as E
}
