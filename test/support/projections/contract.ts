import { describe } from 'vitest'
import { contractContext } from './context.js'
import { describeCrashTakeover } from './crash-takeover.js'
import type { ProjectionFixtureFactory } from './harness.js'
import { describeOrdersProjection } from './orders-specs.js'
import { describeReplayIdempotency } from './replay-idempotency.js'
import { describeSkusProjection } from './skus-specs.js'
import { describeSummariesProperty } from './summaries-property.js'
import { describeSummariesProjection } from './summaries-specs.js'

export type { ProjectionFixture, ProjectionFixtureFactory } from './harness.js'

export interface ProjectionContractOptions {
  /** Orders in the summaries property test (default 300; keep it modest on FerretDB). */
  propertyOrders?: number
  /** Orders in the mixed histories of the idempotency and crash tests (default 25). */
  historyOrders?: number
  /** Lease TTL of the subscription that "crashes" (default 600 ms): how long its successor waits. */
  crashedLeaseTtlMs?: number
}

/**
 * The read-side projections (orders, skus, summaries) against one storage adapter:
 * given/when/then specs, idempotent replays, a crash between read-model writes and their
 * checkpoint, and a property test of the summaries and the reports built on them.
 */
export function projectionContract(
  adapter: string,
  make: ProjectionFixtureFactory,
  options: ProjectionContractOptions = {},
): void {
  const propertyOrders = options.propertyOrders ?? 300
  const crashedLeaseTtlMs = options.crashedLeaseTtlMs ?? 600
  const historyOrders = options.historyOrders ?? 25

  describe(`projections (${adapter})`, () => {
    const context = contractContext(make)
    describeOrdersProjection(context)
    describeSkusProjection(context)
    describeSummariesProjection(context)
    describeReplayIdempotency(context, historyOrders)
    describeCrashTakeover(context, { historyOrders, crashedLeaseTtlMs })
    describeSummariesProperty(context, propertyOrders)
  })
}
