import { DateTime, type IANAZone } from 'luxon'
import { QUARTER_HOUR_MS, quarterHourOf } from '../shared/quarter-hours.js'

export type Granularity = 'hour' | 'day' | 'month'

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
const LENGTH_MS = { hour: 3_600_000, day: DAY_MS } as const

/**
 * Local periods (hours, days, months) of one IANA zone over one report's range, computed
 * with few offset look-ups: asking a zone its offset formats a date through `Intl`, which
 * was the report's main cost when done per bucket. The zone's offsets over the range (plus a
 * day on each side) are read once a day, and each change is pinned to its UTC quarter-hour
 * by bisection (time-zone transitions fall on quarter-hours, as the summaries assume; none
 * is undone within a day). Hours and days are then found by arithmetic on the offset and
 * checked to hold no transition (else luxon computes them); timestamps are written out from
 * the offset.
 */
export function zonePeriods(zone: IANAZone, granularity: Granularity, range: { from: number; to: number }) {
  const offsetAt = offsetTimeline(zone, range.from - DAY_MS, range.to + DAY_MS)

  const byLuxon = (ms: number) => {
    const start = DateTime.fromMillis(ms, { zone }).startOf(granularity)
    return { start: start.toMillis(), end: start.plus({ [granularity]: 1 }).toMillis() }
  }

  /** The local period `ms` falls in, as epoch ms `[start, end)`. */
  function periodOf(ms: number): { start: number; end: number } {
    if (granularity === 'month') return byLuxon(ms)
    const length = LENGTH_MS[granularity]
    const offset = offsetAt(ms) * MINUTE_MS
    const startLocal = Math.floor((ms + offset) / length) * length
    const start = startLocal - offset
    const end = start + length
    // A transition inside the period or at its end (a 23- or 25-hour day): the offset differs there.
    if ([start, end - QUARTER_HOUR_MS, end].some((at) => offsetAt(at) * MINUTE_MS !== offset)) return byLuxon(ms)
    return { start, end }
  }

  /** `ms` as an ISO-8601 timestamp in the zone, with milliseconds and its offset (`2026-03-01T09:30:00.000+05:30`). */
  function iso(ms: number): string {
    const offset = offsetAt(ms)
    const local = new Date(ms + offset * MINUTE_MS).toISOString().slice(0, 23)
    const sign = offset < 0 ? '-' : '+'
    const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')
    const minutes = String(Math.abs(offset) % 60).padStart(2, '0')
    return `${local}${sign}${hours}:${minutes}`
  }

  return { periodOf, iso }
}

/**
 * The zone's offset (minutes) at any instant, from its offsets over `[from, to]`: sampled once
 * a day, each change bisected to the quarter-hour it happens at; outside, asked of the zone.
 */
function offsetTimeline(zone: IANAZone, from: number, to: number): (ms: number) => number {
  const first = quarterHourOf(from)
  /** From each `at` on (ascending), the offset; the first holds from `first`. */
  const changes: { at: number; offset: number }[] = [{ at: first, offset: zone.offset(first) }]
  for (let day = first + DAY_MS; day < to + DAY_MS; day += DAY_MS) {
    const offset = zone.offset(day)
    let before = day - DAY_MS
    if (offset === changes.at(-1)?.offset) continue
    let after = day // the first quarter-hour with the new offset lies in (before, after]
    while (after - before > QUARTER_HOUR_MS) {
      const middle = quarterHourOf(before + (after - before) / 2)
      if (zone.offset(middle) === offset) after = middle
      else before = middle
    }
    changes.push({ at: after, offset })
  }
  return (ms) => {
    if (ms < first || ms >= to + DAY_MS) return zone.offset(ms)
    let low = 0
    let high = changes.length - 1
    while (low < high) {
      const middle = (low + high + 1) >>> 1
      if ((changes[middle]?.at ?? 0) <= ms) low = middle
      else high = middle - 1
    }
    return changes[low]?.offset ?? zone.offset(ms)
  }
}
