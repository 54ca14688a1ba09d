import type { RepairAnswer, RepairRequest } from './summary-corrections.js'

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
