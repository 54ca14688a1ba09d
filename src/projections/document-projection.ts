import { assertHeld } from '../consumers/leases.js'
import type { DomainEvent } from '../events/catalog.js'
import type { ReadEvent } from '../events/envelope.js'
import type { ProjectionDefinition, ProjectionName } from './projection.js'
import type { IndexSpec, ReadModelCollection, ReadModelDocument, ReadModelStore } from './read-model.js'

/** A read-model document with its place in "newest first" order: the position of its first event. */
export type PlacedDocument = ReadModelDocument & { created_position: number }

/** A read model with one document per aggregate, kept by folding the aggregate's events into its view. */
export interface DocumentProjection<E extends DomainEvent, View, Doc extends View & PlacedDocument> {
  name: ProjectionName
  collection(readModels: ReadModelStore, generation: number): ReadModelCollection<Doc>
  indexes: IndexSpec[]
  /** The events this read model is built from. */
  accepts(event: ReadEvent): event is ReadEvent<E>
  /** The document an event belongs to. */
  idOf(event: ReadEvent<E>): string
  /** The view's fold: returns the same view for an event it has already applied. */
  apply(view: View | null, event: ReadEvent<E>): View | null
  /** The stored document: the view plus `_id`, the guard (`last_position`), the sort key and what queries filter on. */
  toDocument(view: View, base: PlacedDocument): Doc
}

/**
 * The projection of a `DocumentProjection`: for each accepted event, read the document
 * (once per batch), apply the event, and write it with a guarded replace, so a replayed
 * event changes nothing.
 */
export function documentProjection<E extends DomainEvent, View, Doc extends View & PlacedDocument>(
  spec: DocumentProjection<E, View, Doc>,
): ProjectionDefinition {
  return {
    name: spec.name,
    generation(readModels, generation) {
      const documents = spec.collection(readModels, generation)
      return {
        ensureIndexes: () => documents.ensureIndexes(spec.indexes),
        async apply(events, lease) {
          // Several events of one document in a batch: read it once, write after each event.
          const seen = new Map<string, Doc | null>()
          for (const event of events) {
            if (!spec.accepts(event)) continue
            assertHeld(lease)
            const id = spec.idOf(event)
            const current = seen.has(id) ? (seen.get(id) ?? null) : await documents.get(id)
            const next = spec.apply(current, event)
            if (!next || next === current) continue
            const doc = spec.toDocument(next, {
              _id: id,
              last_position: event.position,
              created_position: current?.created_position ?? event.position,
            })
            await documents.putGuarded(doc)
            seen.set(id, doc)
          }
        },
        drop: () => documents.drop(),
      }
    },
  }
}
