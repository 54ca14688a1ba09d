import type { ManagedProjection } from '../consumers/projection-manager.js'
import type { EventStore } from '../events/event-store.js'
import { ordersProjection } from './orders-projection.js'
import type { ProjectionDefinition, ProjectionName } from './projection.js'
import type { ReadModelStore } from './read-model.js'
import { skusProjection } from './skus-projection.js'
import { summariesProjection } from './summaries-projection.js'

/** Every projection, once: the service, the replay CLI and the admin routes all take them from here. */
export const PROJECTIONS = {
  orders: ordersProjection,
  skus: skusProjection,
  summaries: summariesProjection,
} as const satisfies Record<ProjectionName, ProjectionDefinition>

/** The projections bound to where their read models live, as the projection manager runs them. */
export function managedProjections(readModels: ReadModelStore, store: EventStore): ManagedProjection<ProjectionName>[] {
  return Object.values(PROJECTIONS).map((definition) => ({
    name: definition.name,
    ...(definition.shape === undefined ? {} : { shape: definition.shape }),
    generation: (generation) => definition.generation(readModels, generation, store),
  }))
}
