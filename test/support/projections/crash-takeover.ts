import { describe, expect, it } from 'vitest'
import type { ReadModelDocument } from '../../../src/projections/read-model.js'
import { startSubscription } from '../../../src/consumers/subscription.js'
import { eventually, within } from '../wait.js'
import type { ContractContext } from './context.js'
import {
  ALL_PROJECTIONS,
  NO_LEASE,
  type ProjectionUnderTest,
  build,
  chunks,
  deferred,
  interceptWrites,
  snapshot,
} from './harness.js'
import { SEED, generateHistory } from './history.js'

/** An instance crashing between its read-model writes and their checkpoint; its successor's result equals a rebuild. */
export function describeCrashTakeover(
  { freshFixtureEachTest, record }: ContractContext,
  { historyOrders, crashedLeaseTtlMs }: { historyOrders: number; crashedLeaseTtlMs: number },
): void {
  describe('crash between read-model writes and their checkpoint', () => {
    const fixture = freshFixtureEachTest()
    const batchSize = 8

    /**
     * Instance A runs the subscription of generation 1 and "crashes" — its process stalls
     * with no more renewals, so its lease is left behind until it expires — at `crashAt`
     * (after some of a batch's writes, before the checkpoint). Instance B, a fresh
     * subscription on the same lease store, takes over once A's lease has expired and
     * catches up to the head. Generation 1 must then equal a rebuild of the same events
     * into generation 2, also after A wakes up and finishes its stale batch.
     */
    async function crashAndTakeOver(
      target: ProjectionUnderTest<ReadModelDocument>,
      crash: 'after-batch-writes' | 'mid-batch',
    ): Promise<void> {
      const { store, leases, readModels } = fixture()
      const events = await record(
        store,
        generateHistory({ seed: SEED + 1, orders: historyOrders, days: 3, start: Date.parse('2024-02-28T00:00:00.000Z') }),
      )
      const head = events.at(-1)?.position ?? 0
      const batches = chunks(events, batchSize)

      // Dry run into a scratch generation: every write, as (position, batch) in order.
      const writes: { position: number; batch: number }[] = []
      let currentBatch = 0
      const counted = target.definition.generation(
        interceptWrites(readModels, (position) => {
          writes.push({ position, batch: currentBatch })
          return Promise.resolve()
        }),
        99,
        store,
      )
      for (const [i, batch] of batches.entries()) {
        currentBatch = i
        await counted.apply(batch, NO_LEASE)
      }
      await counted.drop()

      // Where A stops: the k-th write of the event at `position` (k > 1 only in summaries: mid-event).
      let crashPoint: { position: number; k: number; batch: number } | undefined
      if (crash === 'mid-batch') {
        const candidates = writes
          .map((w, i) => ({ ...w, i, k: writes.slice(0, i + 1).filter((o) => o.position === w.position).length }))
          .filter((w) => w.batch >= 1 && writes.slice(0, w.i).some((o) => o.batch === w.batch && o.position < w.position))
        crashPoint = candidates.find((w) => w.k > 1) ?? candidates[0]
        expect(crashPoint, 'a write after others in a later batch').toBeDefined()
      }
      // Or: after all writes of the first batch (but the first) that writes anything.
      const crashBatch = crashPoint?.batch ?? writes.find((w) => w.batch >= 1)?.batch
      if (crashBatch === undefined) throw new Error('the history has no writes after its first batch')

      const crashed = deferred()
      const resume = deferred()
      const staleBatchDone = deferred()
      let hasCrashed = false
      let writePosition = -1
      let writesAtPosition = 0
      const aModels = interceptWrites(readModels, async (position) => {
        if (position !== writePosition) [writePosition, writesAtPosition] = [position, 0]
        writesAtPosition++
        if (!hasCrashed && crashPoint && position === crashPoint.position && writesAtPosition === crashPoint.k) {
          hasCrashed = true
          crashed.resolve()
          await resume.promise
        }
      })
      const name = `projection:${target.definition.name}#1`
      const generationA = target.definition.generation(aModels, 1, store)
      await generationA.ensureIndexes()
      const errorsA: unknown[] = []
      const a = startSubscription({
        name,
        store,
        leases,
        holder: 'instance-a',
        batchSize,
        pollMs: 10,
        acquireEveryMs: 20,
        leaseTtlMs: crashedLeaseTtlMs,
        onError: (error) => errorsA.push(error),
        handle: async (batch, lease) => {
          try {
            await generationA.apply(batch, lease)
            const index = Math.floor(((batch[0]?.position ?? 1) - 1) / batchSize)
            if (crash === 'after-batch-writes' && !hasCrashed && index === crashBatch) {
              hasCrashed = true
              crashed.resolve()
              await resume.promise
              throw new Error('instance A crashed before its checkpoint')
            }
          } finally {
            if (hasCrashed) staleBatchDone.resolve()
          }
        },
      })
      const errorsB: unknown[] = []
      let b: ReturnType<typeof startSubscription> | undefined
      try {
        await within(crashed.promise, `instance A to reach its crash point (${crash})`)

        // The read model is ahead of the checkpoint A leaves behind, in a lease still alive.
        const left = await leases.latest(name)
        expect(left).toMatchObject({ holder: 'instance-a' })
        const checkpoint = left?.position ?? 0
        expect(checkpoint).toBe(crashBatch * batchSize)
        const written = await snapshot(target, readModels, 1)
        expect(Math.max(...written.map((doc) => doc.last_position))).toBeGreaterThan(checkpoint)

        const generationB = target.definition.generation(readModels, 1, store)
        b = startSubscription({
          name,
          store,
          leases,
          holder: 'instance-b',
          batchSize,
          pollMs: 10,
          acquireEveryMs: 20,
          onError: (error) => errorsB.push(error),
          handle: generationB.apply,
        })
        const successor = b
        await eventually('instance B to take over and reach the head', () => successor.active && successor.position >= head)
        expect(await leases.latest(name)).toMatchObject({ holder: 'instance-b', position: head, token: (left?.token ?? 0) + 1 })
        expect(errorsB).toEqual([])

        const rebuilt = await build(target, fixture(), 2, [events])
        expect(await snapshot(target, readModels, 1)).toStrictEqual(rebuilt)

        // A wakes up and finishes its stale batch: its writes are no-ops, its checkpoint is fenced off.
        resume.resolve()
        await within(staleBatchDone.promise, 'instance A to finish its stale batch')
        await eventually('instance A to become inactive', () => !a.active)
        await a.stop()
        expect(await snapshot(target, readModels, 1)).toStrictEqual(rebuilt)
        expect(await leases.latest(name)).toMatchObject({ holder: 'instance-b', position: head })
        expect(errorsB).toEqual([])
        // A reports its crash (if it threw); losing the lease at its stale checkpoint is not an error.
        expect(errorsA.map((error) => (error as Error).message)).toEqual(
          crash === 'after-batch-writes' ? ['instance A crashed before its checkpoint'] : [],
        )
      } finally {
        resume.resolve()
        await a.stop()
        await b?.stop()
      }
    }

    for (const target of ALL_PROJECTIONS) {
      const name = target.definition.name
      it(`${name}: after all of a batch's writes, before its checkpoint — the next holder's result equals a rebuild`, async () => {
        await crashAndTakeOver(target, 'after-batch-writes')
      })
      it(`${name}: in the middle of a batch${name === 'summaries' ? ' (between the rows of one event)' : ''} — equals a rebuild, even after the stale holder resumes`, async () => {
        await crashAndTakeOver(target, 'mid-batch')
      })
    }
  })
}
