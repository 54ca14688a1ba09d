import { Problem } from '../schemas.js'
import { PROBLEM_EXAMPLES, problemExample } from './examples.js'

/** A JSON value of the document (TypeBox schemas are written out without their symbol keys). */
export const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

export const ref = (kind: 'schemas' | 'headers' | 'parameters' | 'responses' | 'examples', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
})

export const PROBLEM_TYPE = 'application/problem+json'

/** The service is not published under an open licence (SPDX `LicenseRef-` for a licence of one's own). */
export const LICENSE = { name: 'Proprietary: all rights reserved', identifier: 'LicenseRef-Proprietary' }

/** The headers this API sets, each described once; responses refer to them. */
export const HEADERS = {
  'X-Request-Id': {
    description:
      'The request id: the `X-Request-Id` the client sent (1-128 of `A-Z a-z 0-9 _ . : -`) or a generated UUID. Quote it when reporting a problem: the logs are keyed by it.',
    required: true,
    schema: { type: 'string', maxLength: 128 },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    required: true,
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Limit': {
    description: 'Requests allowed in the current window (`API_RATE_LIMIT`, per user, or per client address when anonymous).',
    schema: { type: 'integer', minimum: 0 },
  },
  'RateLimit-Remaining': { description: 'Requests left in the current window.', schema: { type: 'integer', minimum: 0 } },
  'RateLimit-Reset': { description: 'Seconds until the window resets.', schema: { type: 'integer', minimum: 0 } },
  'RateLimit-Policy': {
    description: 'The failed-sign-in limit that refused the request: `<max>;w=<window seconds>` (POST /api/auth/token only).',
    schema: { type: 'string' },
  },
  'WWW-Authenticate': {
    description: 'Always `Bearer realm="sales-orders"`.',
    schema: { type: 'string' },
  },
  ETag: {
    description:
      'The stream version of the order or SKU, quoted (`"3"`): send it back in `If-Match` to change exactly this version.',
    required: true,
    schema: { type: 'string', pattern: '^"\\d+"$' },
  },
  Location: { description: 'The URL of what was created.', required: true, schema: { type: 'string' } },
  'Idempotent-Replayed': {
    description:
      '`true` when this is the stored answer to an earlier request with the same `Idempotency-Key` (nothing was done again).',
    schema: { type: 'string', enum: ['true'] },
  },
  'X-Read-Model-Position': {
    description:
      'The global position the read model(s) behind this answer have processed: compare with a command answer’s `position`, or pass that as `min_position`.',
    required: true,
    schema: { type: 'string', pattern: '^\\d+$' },
  },
  'Content-Disposition': {
    description: 'CSV downloads only: `attachment; filename="…csv"`.',
    schema: { type: 'string' },
  },
} as const
export type HeaderName = keyof typeof HEADERS

const headers = (...names: HeaderName[]) => Object.fromEntries(names.map((name) => [name, ref('headers', name)]))

/** The headers on every answer of a route (`/api` answers also say where the caller's rate limit stands). */
export const everyAnswerHeaders = (api: boolean) =>
  headers('X-Request-Id', ...(api ? (['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'] as const) : []))

export const PARAMETERS = {
  'Idempotency-Key': {
    name: 'Idempotency-Key',
    in: 'header',
    description:
      'Makes the command safe to retry: a retry with the same key and body returns the original answer (its 201 or 200, `Idempotent-Replayed: true`), with another body 422. Failures are not remembered. 1-255 visible ASCII characters, scoped to the caller and the URL.',
    required: false,
    schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
  },
  'If-Match': {
    name: 'If-Match',
    in: 'header',
    description:
      'The `ETag` the client last saw (`"3"`, or `*` for any): the command runs only on that version, else 412 `REQUEST.VERSION_MISMATCH`.',
    required: false,
    schema: { type: 'string', pattern: '^(\\*|"?\\d{1,15}"?)$' },
  },
} as const

/** A problem answer: `application/problem+json`, the one Problem schema, an example. */
export function problemResponse(status: number, description: string, api: boolean, extraHeaders: HeaderName[] = []) {
  return {
    description,
    headers: { ...everyAnswerHeaders(api), ...headers(...extraHeaders) },
    content: {
      [PROBLEM_TYPE]: {
        schema: ref('schemas', 'Problem'),
        examples: { [problemExample(status)]: ref('examples', problemExample(status)) },
      },
    },
  }
}

/** The answers the hooks give, shared by every operation they apply to. */
export const STANDARD_RESPONSES = {
  400: {
    name: 'BadRequest',
    description:
      'Malformed or invalid input (`REQUEST.*`): every failing field is listed in `errors` (`path` like `body/items/0/quantity`, `querystring/limit`). Unknown fields and query parameters are refused, and on every route query keys that start with `$` or contain `.` (`REQUEST.FORBIDDEN_KEY`), and text holding U+0000 or an unpaired UTF-16 surrogate (`REQUEST.INVALID_TEXT`).',
  },
  401: {
    name: 'Unauthorized',
    description: 'No token, or a token that is invalid, expired or revoked (`AUTH.*`).',
    headers: ['WWW-Authenticate'] as HeaderName[],
  },
  403: { name: 'Forbidden', description: 'The caller’s role may not do this (`AUTH.FORBIDDEN`).' },
  413: { name: 'PayloadTooLarge', description: 'The body is larger than 256 KiB (`REQUEST.BODY_TOO_LARGE`).' },
  415: {
    name: 'UnsupportedMediaType',
    description: 'The body is not `application/json` (`REQUEST.UNSUPPORTED_MEDIA_TYPE`).',
  },
  429: {
    name: 'TooManyRequests',
    description: 'Rate limited (`RATE_LIMITED`; sign-ins also `AUTH.TOO_MANY_ATTEMPTS`): retry after `Retry-After` seconds.',
    headers: ['Retry-After', 'RateLimit-Policy'] as HeaderName[],
  },
  503: {
    name: 'ServiceUnavailable',
    description:
      'Not answerable now: a dependency is down or the request did not finish in time (`SERVICE.UNAVAILABLE`; for a command the outcome is unknown — retry with the same `Idempotency-Key`), a read model is not ready (`PROJECTION.*`), or this instance is shutting down (`SERVICE.SHUTTING_DOWN`).',
    headers: ['Retry-After'] as HeaderName[],
  },
} as const satisfies Record<number, { name: string; description: string; headers?: HeaderName[] }>
export type StandardStatus = keyof typeof STANDARD_RESPONSES

/** The document's components (those no operation refers to are dropped afterwards). */
export function components() {
  // Shared responses are `/api` answers (with the rate-limit headers); others are written out in place.
  const responses = Object.fromEntries(
    Object.entries(STANDARD_RESPONSES).map(([status, response]) => [
      response.name,
      problemResponse(Number(status), response.description, true, 'headers' in response ? response.headers : []),
    ]),
  )
  return {
    schemas: { Problem: { ...plain(Problem), title: 'Problem' } },
    headers: HEADERS,
    parameters: PARAMETERS,
    responses,
    examples: PROBLEM_EXAMPLES,
  }
}
