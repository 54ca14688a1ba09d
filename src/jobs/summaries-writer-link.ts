import type { ProjectionManager } from '../consumers/projection-manager.js'
import type { ProjectionName } from '../projections/projection.js'
import type { ReadModelStore } from '../projections/read-model.js'
import { summariesCollection } from '../projections/summaries-projection.js'
import { type RepairAnswer, type RepairRequest, applyCorrections } from './summary-corrections.js'

/**
 * The way to whichever process writes the summaries now: the holder of the live generation's
 * lease, this process or another one. Repairs go to it (see `applyCorrections`).
 */
export interface SummariesWriterLink {
  /** Has the writer apply the corrections; `no-writer` when none answered (nobody holds the lease, or it could not be reached). */
  repair(request: RepairRequest, signal: AbortSignal): Promise<RepairAnswer | 'no-writer'>
  close(): void
}

/** This process's writer, if it is the one: null when this process does not hold the summaries lease. */
export type LocalWriter = (request: RepairRequest, signal?: AbortSignal) => Promise<RepairAnswer | null>

/** Without Redis (embedded), the writer is in this process or nowhere. */
export function localWriterLink(local: LocalWriter): SummariesWriterLink {
  return {
    repair: async (request, signal) => (await local(request, signal)) ?? 'no-writer',
    close: () => undefined,
  }
}

/**
 * This process's summaries writer: the corrections applied in an exclusive turn of the live
 * generation's subscription, if this process holds its lease (else null). A request for a
 * generation that is no longer live (a rebuild went live meanwhile) moves every row: the
 * job looks again.
 */
export function localSummariesWriter(
  projections: Pick<ProjectionManager<ProjectionName>, 'exclusive'>,
  readModels: ReadModelStore,
): LocalWriter {
  return (request, signal) =>
    projections.exclusive('summaries', async ({ generation, projection }, lease) =>
      generation === request.generation
        ? applyCorrections(summariesCollection(readModels, generation), request.corrections, {
            lease,
            forget: (ids) => projection.forget?.(ids),
            ...(signal ? { signal } : {}),
          })
        : { repaired: [], moved: request.corrections.map((c) => c.id) },
    )
}
