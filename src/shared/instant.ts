import { DateTime, type Zone } from 'luxon'
import { type FieldError, ValidationError } from './errors.js'

/**
 * The ISO-8601 forms the API takes for an instant: a date (`2026-03-01`, midnight in the
 * zone) or a date-time with minutes, optional seconds and fraction, and an optional offset
 * (`Z`, `+05:30`). Week and ordinal dates, spaces and offsets beyond ±18:00 are refused.
 */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|([+-])(\d{2}):?(\d{2}))?)?$/

const MAX_OFFSET_MINUTES = 18 * 60

/** What is wrong with an instant the API was sent, as a field message. */
export function instantProblem(value: string): string {
  return /^\d{4}-\d{2}-\d{2}T[\d:.]+ \d{2}:?\d{2}$/.test(value)
    ? 'must be an ISO-8601 date-time; send "+" in a URL as %2B (e.g. 2026-03-01T09:30:00%2B05:30)'
    : 'must be an ISO-8601 date (2026-03-01) or date-time (2026-03-01T09:30:00Z) that exists'
}

/**
 * The instant `value` denotes (dates and offset-less times read in `zone`), or null when it
 * is not one of the accepted forms or names no real time (`2026-02-30`, `T25:00`).
 */
export function parseInstant(value: string, zone: Zone | string = 'UTC'): DateTime | null {
  const match = ISO_INSTANT.exec(value)
  if (!match) return null
  const [, sign, hours, minutes] = match
  if (sign !== undefined && Number(hours) * 60 + Number(minutes) > MAX_OFFSET_MINUTES) return null
  const parsed = DateTime.fromISO(value, { zone })
  return parsed.isValid ? parsed : null
}

/** The code of every query the API refuses: a bad parameter, an impossible date, an empty range. */
export const INVALID_QUERY = 'REQUEST.VALIDATION'

/**
 * The query rule every list, report and history route shares: `from` and `to` (each optional
 * here; a route that needs them says so in its schema) are instants the API accepts, read in
 * `zone` when they carry no offset, and `from` comes before `to`. Problems are listed together
 * under one code, `INVALID_QUERY`.
 */
export function parseRange(
  query: { from?: string | undefined; to?: string | undefined },
  zone: Zone | string = 'UTC',
  errors: FieldError[] = [],
): { from?: DateTime; to?: DateTime } {
  const from = readInstant(query.from, 'from', zone, errors)
  const to = readInstant(query.to, 'to', zone, errors)
  if (from && to && from >= to) errors.push({ path: 'querystring/to', message: afterFrom(query.from ?? '', from) })
  if (errors.length > 0) throw new ValidationError(INVALID_QUERY, 'The query is invalid', errors)
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) }
}

/**
 * `to` is exclusive (`[from, to)`): one asking for a single day with `to` equal to `from` is
 * told the `to` that means it.
 */
function afterFrom(fromText: string, from: DateTime): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(fromText)) return 'must be after from (to is exclusive)'
  return `must be after from (to is exclusive: for ${fromText} alone, to=${from.plus({ days: 1 }).toISODate() ?? ''})`
}

/** One instant query parameter (e.g. `as_of`) under the same rule; undefined when absent. */
export function parseInstantParam(value: string | undefined, field: string, zone: Zone | string = 'UTC'): DateTime | undefined {
  const errors: FieldError[] = []
  const parsed = readInstant(value, field, zone, errors)
  if (errors.length > 0) throw new ValidationError(INVALID_QUERY, 'The query is invalid', errors)
  return parsed
}

function readInstant(value: string | undefined, field: string, zone: Zone | string, errors: FieldError[]): DateTime | undefined {
  if (value === undefined) return undefined
  const parsed = parseInstant(value, zone)
  if (!parsed) errors.push({ path: `querystring/${field}`, message: instantProblem(value) })
  return parsed ?? undefined
}
