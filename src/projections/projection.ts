import type { ProjectionGeneration } from '../consumers/projection-manager.js'
import type { EventStore } from '../events/event-store.js'
import type { ReadModelStore } from './read-model.js'

export const PROJECTION_NAMES = ['orders', 'skus', 'summaries'] as const
export type ProjectionName = (typeof PROJECTION_NAMES)[number]

/** A read model and how events build it: each generation has collections of its own. */
export interface ProjectionDefinition {
  name: ProjectionName
  /** The version of its documents' shape (see `ManagedProjection.shape`). */
  shape?: number
  generation(readModels: ReadModelStore, generation: number, store: EventStore): ProjectionGeneration
}
