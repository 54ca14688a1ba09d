import type { Granularity } from '../api/types'

const HOUR_MS = 3_600_000

/** How far `zone`'s wall clock is ahead of UTC at `instant` (ms). */
function offsetAt(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant)
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((each) => each.type === type)?.value)
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'))
  return wall - Math.floor(instant / 1000) * 1000
}

/** The instant `zone`'s wall clock reads midnight at the start of that date (month 0-based; overflow rolls over). */
function midnightIn(year: number, month: number, day: number, zone: string): number {
  const wall = Date.UTC(year, month, day)
  const guess = wall - offsetAt(wall, zone)
  return wall - offsetAt(guess, zone)
}

/**
 * Every bucket start of [from, to) by `granularity` in `zone` (ms since the epoch), so that the
 * hours, days or months without orders are drawn as zero rather than skipped.
 */
export function bucketStarts(from: string, to: string, granularity: Granularity, zone: string): number[] {
  const start = Date.parse(from)
  const end = Date.parse(to)
  const starts: number[] = []
  if (granularity === 'hour') {
    // Whole hours of the zone are whole hours of UTC shifted by the zone's offset (minutes included).
    for (let t = start; t < end; t += HOUR_MS) starts.push(t)
    return starts
  }
  const local = new Date(start + offsetAt(start, zone))
  const year = local.getUTCFullYear()
  const month = local.getUTCMonth()
  const day = local.getUTCDate()
  for (let i = 0; ; i++) {
    const t = granularity === 'day' ? midnightIn(year, month, day + i, zone) : midnightIn(year, month + i, 1, zone)
    if (t >= end || i > 10_000) return starts
    starts.push(t)
  }
}
