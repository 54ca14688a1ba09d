import { type HeldLease, assertHeld } from '../consumers/leases.js'
import type { ReadModelCollection } from '../projections/read-model.js'
import { SUMMARY_COUNTERS, type SummaryRow } from '../projections/summaries-projection.js'
import { assertLocked } from './job.js'

/** A summary row as stored (`found`) and as the events say it must be (`wanted`); null = no such row. */
export interface Correction {
  id: string
  found: SummaryRow | null
  wanted: SummaryRow | null
}

/** Corrections for the writer of one generation of the summaries. */
export interface RepairRequest {
  generation: number
  corrections: Correction[]
}

/** What the writer did: rows rewritten, and rows no longer as found (the job recomputes those). */
export interface RepairAnswer {
  repaired: string[]
  moved: string[]
}

/** Same row: same keys, same counters, same last applied position (both absent counts as the same). */
export function sameRow(a: SummaryRow | null, b: SummaryRow | null): boolean {
  if (a === null || b === null) return a === b
  return (
    a._id === b._id &&
    a.last_position === b.last_position &&
    a.bucket === b.bucket &&
    a.sales_rep === b.sales_rep &&
    a.sku === b.sku &&
    SUMMARY_COUNTERS.every((counter) => a[counter] === b[counter])
  )
}

/** The corrections that make `stored` what `wanted` says, for the rows of either. */
export function correctionsFor(wanted: ReadonlyMap<string, SummaryRow>, stored: readonly SummaryRow[]): Correction[] {
  const found = new Map(stored.map((row) => [row._id, row]))
  const ids = new Set([...wanted.keys(), ...found.keys()])
  return [...ids]
    .map((id) => ({ id, found: found.get(id) ?? null, wanted: wanted.get(id) ?? null }))
    .filter((correction) => !sameRow(correction.found, correction.wanted))
}

export interface WriterTurn {
  /** The summaries writer's lease, held for the whole turn. */
  lease: HeldLease
  /** Makes the writer read these rows afresh on its next batch. */
  forget(ids: readonly string[]): void
  /** The requesting run's signal when it runs in this process: a run that lost its lock stops writing. */
  signal?: AbortSignal
}

/**
 * Applies corrections *as the summaries writer*: between two of its batches, under its lease
 * (`ProjectionManager.exclusive`), so nothing else writes the rows meanwhile. A row is
 * rewritten only if it is still exactly what the reconcile job found (compare-and-set on its
 * `last_position`); otherwise it is `moved` and the job recomputes it. Then the writer forgets
 * every corrected row: the projector keeps the rows it wrote between batches (`writerCache`),
 * and without this its next batch for the same bucket would add to its stale copy and write
 * the drift back over the repair.
 */
export async function applyCorrections(
  rows: ReadModelCollection<SummaryRow>,
  corrections: readonly Correction[],
  turn: WriterTurn,
): Promise<RepairAnswer> {
  const answer: RepairAnswer = { repaired: [], moved: [] }
  const current = new Map((await rows.getMany(corrections.map((c) => c.id))).map((row) => [row._id, row]))
  try {
    for (const { id, found, wanted } of corrections) {
      if (!sameRow(current.get(id) ?? null, found)) {
        answer.moved.push(id)
        continue
      }
      assertHeld(turn.lease)
      if (turn.signal) assertLocked(turn.signal, 'reports.reconcile')
      const written =
        wanted === null
          ? await rows.deleteIf(id, found?.last_position ?? 0)
          : found === null
            ? await rows.putGuarded(wanted)
            : await rows.replaceIf(wanted, found.last_position)
      answer[written ? 'repaired' : 'moved'].push(id)
    }
  } finally {
    turn.forget(corrections.map((c) => c.id))
  }
  return answer
}
