import { liveGeneration, type GenerationStore } from '../consumers/generations.js'
import type { LeaseStore } from '../consumers/leases.js'
import { projectionConsumerName } from '../consumers/projection-manager.js'
import type { EventStore } from '../events/event-store.js'
import type { ReadModelStore } from '../projections/read-model.js'
import {
  SUMMARY_COUNTERS,
  type SummaryIncrement,
  type SummaryRow,
  cancellationIncrements,
  creationIncrements,
  emptyRow,
  summariesCollection,
} from '../projections/summaries-projection.js'
import { QUARTER_HOUR_MS } from '../shared/quarter-hours.js'
import { mapLimited } from '../shared/map-limited.js'
import { eventsStampedBetween } from './hour-events.js'
import { type Job, type JobContext, type JobDetails, assertLocked, pause } from './job.js'
import { correctionsFor } from './summary-corrections.js'
import type { SummariesWriterLink } from './summaries-writer-link.js'

export const HOUR_MS = 3_600_000

/** Tries at one hour before giving up for this run: each is a fresh look at a projection that moved meanwhile. */
const ATTEMPTS = 5
/** Between tries: the projector checkpoints a batch a moment after writing it. */
const RETRY_AFTER_MS = 250
/** Rows one quarter-hour may hold (reps × (SKUs + 1)); more is refused rather than half read. */
const MAX_ROWS_PER_BUCKET = 100_000
const STREAMS_IN_FLIGHT = 8

export interface ReconcileDeps {
  store: EventStore
  readModels: ReadModelStore
  generations: GenerationStore
  leases: LeaseStore
  writer: SummariesWriterLink
}

/** The hour before the one `at` falls in: the last closed hour at that moment. */
export const lastClosedHour = (at: Date): number => Math.floor(at.getTime() / HOUR_MS) * HOUR_MS - HOUR_MS

/** `reports.reconcile`: the last closed hour's summaries, recomputed from the events and repaired. */
export function reconcileJob(schedule: string, deps: ReconcileDeps): Job {
  return {
    name: 'reports.reconcile',
    schedule,
    run: (context) => reconcileHour(deps, lastClosedHour(context.scheduledAt), context),
  }
}

/**
 * Recomputes the four quarter-hour buckets of the hour starting at `hourStart` from the event
 * store (not from the read model) and compares them with `order_summaries` as of the
 * projection's checkpoint: the rows then hold exactly the events up to it, unless the
 * projector has written a later batch into the hour since (a row with a later `last_position`:
 * look again). Each differing row is logged, then corrected by the summaries writer (see
 * `applyCorrections`); rows that changed under the correction are looked at again. No drift,
 * no write.
 */
export async function reconcileHour(
  deps: ReconcileDeps,
  hourStart: number,
  { signal, log }: Pick<JobContext, 'signal' | 'log'>,
): Promise<JobDetails> {
  const hour = new Date(hourStart).toISOString()
  const repaired = new Set<string>()
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (attempt > 1) await pause(RETRY_AFTER_MS, signal)
    const generation = liveGeneration(await deps.generations.list('summaries'))?.generation
    if (generation === undefined) throw new Error('the summaries projection has no live generation yet')
    const checkpoint = (await deps.leases.latest(projectionConsumerName('summaries', generation)))?.position ?? 0
    const stored = await storedRows(deps.readModels, generation, hourStart)
    if (stored.some((row) => row.last_position > checkpoint)) continue
    const wanted = await rowsFromEvents(deps.store, hourStart, checkpoint)
    const corrections = correctionsFor(wanted, stored)
    const details = { hour, rows: wanted.size, drift: repaired.size, checkpoint, attempts: attempt }
    if (corrections.length === 0) return details
    for (const { id, found, wanted: right } of corrections) {
      log.warn({ hour, row: id, ...rowKeys(found ?? right), from: countersOf(found), to: countersOf(right) }, 'summary drift')
    }
    assertLocked(signal, 'reports.reconcile')
    const answer = await deps.writer.repair({ generation, corrections }, signal)
    if (answer === 'no-writer') {
      throw new Error(
        `${corrections.length} drifted summary rows found in ${hour}, but no summaries writer answered to repair them`,
      )
    }
    for (const id of answer.repaired) repaired.add(id)
    if (answer.moved.length === 0) return { ...details, drift: repaired.size }
  }
  throw new Error(`the summaries of ${hour} kept changing while being reconciled (${ATTEMPTS} looks); left for the next run`)
}

/** The stored rows of the hour's four buckets (one equality query each). */
async function storedRows(readModels: ReadModelStore, generation: number, hourStart: number): Promise<SummaryRow[]> {
  const rows = summariesCollection(readModels, generation)
  const found: SummaryRow[] = []
  for (let bucket = hourStart; bucket < hourStart + HOUR_MS; bucket += QUARTER_HOUR_MS) {
    const page = await rows.list([{ bucket }], { sort: 'bucket', descending: false, limit: MAX_ROWS_PER_BUCKET })
    if (page.length === MAX_ROWS_PER_BUCKET)
      throw new Error(`bucket ${new Date(bucket).toISOString()} holds too many rows to reconcile`)
    found.push(...page)
  }
  return found
}

/**
 * The hour's rows as the events up to `upTo` make them: the orders created in the hour, and
 * their cancellations, which may come any time later (read from each order's stream).
 */
async function rowsFromEvents(store: EventStore, hourStart: number, upTo: number): Promise<Map<string, SummaryRow>> {
  const created = (await eventsStampedBetween(store, hourStart, hourStart + HOUR_MS, upTo)).flatMap((event) =>
    event.type === 'order.created'
      ? [
          {
            stream: event.stream,
            position: event.position,
            creation: { order: event.data, at: Date.parse(event.metadata.timestamp) },
          },
        ]
      : [],
  )
  const increments = await mapLimited(created, STREAMS_IN_FLIGHT, async ({ stream, position, creation }) => [
    ...creationIncrements(creation, position),
    ...(await store.readStream(stream))
      .filter((event) => event.type === 'order.cancelled' && event.position <= upTo)
      .flatMap((event) => cancellationIncrements(creation, event.position)),
  ])
  return fold(increments.flat())
}

/** Rows from increments: counters summed, `last_position` the last event that touched the row. */
function fold(increments: readonly SummaryIncrement[]): Map<string, SummaryRow> {
  const rows = new Map<string, SummaryRow>()
  for (const change of increments) {
    const { id, position, inc } = change
    const row = rows.get(id) ?? emptyRow(change)
    for (const counter of SUMMARY_COUNTERS) row[counter] += inc[counter] ?? 0
    row.last_position = Math.max(row.last_position, position)
    rows.set(id, row)
  }
  return rows
}

const rowKeys = (row: SummaryRow | null) =>
  row && { bucket: new Date(row.bucket).toISOString(), currency: row.currency, sales_rep: row.sales_rep, sku: row.sku }

/** A row's counters and position for the log (null: no row). */
const countersOf = (row: SummaryRow | null) =>
  row && {
    last_position: row.last_position,
    ...Object.fromEntries(SUMMARY_COUNTERS.map((counter) => [counter, row[counter]])),
  }
