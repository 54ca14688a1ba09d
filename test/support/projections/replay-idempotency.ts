import { describe, expect, it } from 'vitest'
import type { ContractContext } from './context.js'
import { ALL_PROJECTIONS, build, chunks } from './harness.js'
import { SEED, generateHistory } from './history.js'

/** Every projection, fed a generated history with replays, overlaps and old prefixes, ends as if fed it once. */
export function describeReplayIdempotency({ freshFixtureEachTest, record }: ContractContext, historyOrders: number): void {
  describe('idempotency: replayed events change nothing', () => {
    const fixture = freshFixtureEachTest()
    const mixedHistory = () =>
      record(
        fixture().store,
        generateHistory({ seed: SEED, orders: historyOrders, days: 3, start: Date.parse('2024-02-28T00:00:00.000Z') }),
      )

    for (const target of ALL_PROJECTIONS) {
      const name = target.definition.name

      it(`${name}: the whole history applied twice, or each batch delivered twice, equals applying it once (seed ${SEED})`, async () => {
        const events = await mixedHistory()
        const once = await build(target, fixture(), 1, [events])
        expect(once.length).toBeGreaterThan(5)
        expect(await build(target, fixture(), 2, [events, events])).toStrictEqual(once)
        const doubled = chunks(events, 7).flatMap((batch) => [batch, batch])
        expect(await build(target, fixture(), 3, doubled)).toStrictEqual(once)
      })

      it(`${name}: overlapping batches (events[0..n] then events[k..n], sliding windows, old prefixes) equal applying once (seed ${SEED})`, async () => {
        const events = await mixedHistory()
        const n = events.length
        const once = await build(target, fixture(), 1, [events])
        const tails = [1, Math.floor(n / 3), Math.floor(n / 2), n - 1].map((k) => events.slice(k))
        expect(await build(target, fixture(), 2, [events, ...tails])).toStrictEqual(once)
        // A consumer that checkpoints only every other batch: each window replays the previous one's second half.
        const step = 6
        const windows = Array.from({ length: Math.ceil(n / step) }, (_, i) => events.slice(i * step, i * step + 2 * step))
        expect(await build(target, fixture(), 3, windows)).toStrictEqual(once)
        // Replaying an old prefix after everything was applied.
        const prefixes = [
          events.slice(0, Math.floor(n / 2)),
          events.slice(0, 1),
          events.slice(Math.floor(n / 4), Math.floor(n / 2)),
        ]
        expect(await build(target, fixture(), 4, [events, ...prefixes])).toStrictEqual(once)
        // Only the first k events, then the rest overlapping them.
        const k = Math.floor((2 * n) / 3)
        expect(await build(target, fixture(), 5, [events.slice(0, k), events.slice(Math.floor(k / 2))])).toStrictEqual(once)
      })
    }
  })
}
