/**
 * Summaries are kept per UTC quarter-hour: every zone's offset is a multiple of 15 minutes,
 * so each quarter-hour falls in exactly one local hour, day and month of any IANA zone.
 */
export const QUARTER_HOUR_MS = 15 * 60 * 1000

/** The start (epoch ms) of the quarter-hour `ms` falls in. */
export const quarterHourOf = (ms: number): number => Math.floor(ms / QUARTER_HOUR_MS) * QUARTER_HOUR_MS

/** The UTC month `ms` falls in, as a month count (`year × 12 + month − 1`): the partition of the summaries. */
export function monthOf(ms: number): number {
  const date = new Date(ms)
  return date.getUTCFullYear() * 12 + date.getUTCMonth()
}

/** Epoch ms of the start of a month count (see `monthOf`). */
export const monthStart = (month: number): number => Date.UTC(Math.floor(month / 12), month % 12, 1)
