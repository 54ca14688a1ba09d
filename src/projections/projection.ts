import type { EventStore } from '../events/event-store.js'
import type { ReadModelStore } from './read-model.js'
import type { BatchHandler } from './subscription.js'

export const PROJECTION_NAMES = ['orders', 'skus', 'summaries'] as const
export type ProjectionName = (typeof PROJECTION_NAMES)[number]

/** One generation of a projection: its own collections, built from position 0. */
export interface ProjectionGeneration {
  ensureIndexes(): Promise<void>
  apply: BatchHandler
  drop(): Promise<void>
}

export interface ProjectionDefinition {
  name: ProjectionName
  generation(readModels: ReadModelStore, generation: number, store: EventStore): ProjectionGeneration
}
