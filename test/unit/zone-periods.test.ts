import { DateTime, IANAZone } from 'luxon'
import { describe, expect, it } from 'vitest'
import { zonePeriods } from '../../src/queries/zone-periods.js'
import { QUARTER_HOUR_MS } from '../../src/shared/quarter-hours.js'

/**
 * The report's local periods agree with luxon's for every quarter-hour of a year, in zones
 * with an hour of DST, half an hour of DST (Lord Howe), a +12:45/+13:45 offset (Chatham),
 * southern-hemisphere DST (Santiago) and none (Kathmandu, +05:45).
 */
describe('zone periods', () => {
  const zones = ['Europe/London', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Santiago', 'Asia/Kathmandu', 'UTC']
  const from = Date.parse('2024-01-01T00:00:00Z')
  const to = Date.parse('2025-01-01T00:00:00Z')

  for (const name of zones) {
    it(`${name}: hours, days and months of every quarter-hour of 2024, and their timestamps`, () => {
      const zone = IANAZone.create(name)
      for (const granularity of ['hour', 'day', 'month'] as const) {
        const periods = zonePeriods(zone, granularity, { from, to })
        const wrong: string[] = []
        for (let ms = from; ms < to; ms += QUARTER_HOUR_MS) {
          const start = DateTime.fromMillis(ms, { zone }).startOf(granularity)
          const expected = { start: start.toMillis(), end: start.plus({ [granularity]: 1 }).toMillis() }
          const actual = periods.periodOf(ms)
          if (actual.start !== expected.start || actual.end !== expected.end)
            wrong.push(`${granularity} of ${new Date(ms).toISOString()}`)
          if (periods.iso(ms) !== DateTime.fromMillis(ms, { zone }).toISO()) wrong.push(`iso of ${new Date(ms).toISOString()}`)
          if (wrong.length > 5) break
        }
        expect(wrong).toEqual([])
      }
    })
  }
})
