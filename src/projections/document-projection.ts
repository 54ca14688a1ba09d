import { type HeldLease, assertHeld } from '../consumers/leases.js'
import type { DomainEvent } from '../events/catalog.js'
import type { ReadEvent } from '../events/envelope.js'
import type { ProjectionDefinition, ProjectionName } from './projection.js'
import type { IndexSpec, ReadModelCollection, ReadModelDocument, ReadModelStore } from './read-model.js'

/** A read-model document with its place in "newest first" order: the position of its first event. */
export type PlacedDocument = ReadModelDocument & { created_position: number }

/** A read model with one document per aggregate, kept by folding the aggregate's events into its view. */
export interface DocumentProjection<E extends DomainEvent, View, Doc extends View & PlacedDocument> {
  name: ProjectionName
  /** See `ProjectionDefinition.shape`. */
  shape?: number
  collection(readModels: ReadModelStore, generation: number): ReadModelCollection<Doc>
  indexes: IndexSpec[]
  /** The events this read model is built from. */
  accepts: (event: ReadEvent) => event is ReadEvent<E>
  /** The document an event belongs to. */
  idOf: (event: ReadEvent<E>) => string
  /** The view's fold: returns the same view for an event it has already applied. */
  apply: (view: View | null, event: ReadEvent<E>) => View | null
  /** The stored document: the view plus `_id`, the guard (`last_position`), the sort key and what queries filter on. */
  toDocument: (view: View, base: PlacedDocument) => Doc
  /** A second read model kept from the same documents (e.g. list pages), written after them. */
  companion?: (readModels: ReadModelStore, generation: number) => Companion<Doc> | undefined
}

/**
 * What a companion read model does with each batch's documents: every one the batch touched,
 * as it now is — also one whose events were applied already (a replay), so the companion
 * must ignore a document state it already holds.
 */
export interface Companion<Doc> {
  ensureIndexes(): Promise<void>
  write(changed: readonly Doc[], lease: HeldLease): Promise<void>
  drop(): Promise<void>
}

/** Documents the writer keeps after writing them, while it holds the lease (no one else writes then). */
const WRITER_CACHE_SIZE = 5000

/**
 * The projection of a `DocumentProjection`, a batch at a time: read the documents the batch
 * changes (unless this writer has them already, or the batch creates them), fold every event
 * in, and write each changed document once — one bulk write, new documents inserted, the
 * others replaced with a guard, so a replayed event changes nothing.
 */
export function documentProjection<E extends DomainEvent, View, Doc extends View & PlacedDocument>(
  spec: DocumentProjection<E, View, Doc>,
): ProjectionDefinition {
  return {
    name: spec.name,
    ...(spec.shape === undefined ? {} : { shape: spec.shape }),
    generation(readModels, generation) {
      const documents = spec.collection(readModels, generation)
      const companion = spec.companion?.(readModels, generation)
      const written = writerCache<Doc>()
      return {
        async ensureIndexes() {
          await documents.ensureIndexes(spec.indexes)
          await companion?.ensureIndexes()
        },
        async apply(events, lease) {
          const accepted = events.filter(spec.accepts)
          if (accepted.length === 0) return
          assertHeld(lease)
          const known = written.forLease(lease.token)
          const changed = new Map<string, Doc>()
          const fresh = new Set<string>()
          // A document created in this batch (its version 1 is here) is not stored yet: no read.
          const created = new Set(accepted.filter((e) => e.version === 1).map(spec.idOf))
          const missing = [...new Set(accepted.map(spec.idOf))].filter((id) => !created.has(id) && !known.has(id))
          for (const doc of await documents.getMany(missing)) known.set(doc._id, doc)
          const touched = new Set<string>()
          for (const event of accepted) {
            const id = spec.idOf(event)
            touched.add(id)
            const current = changed.get(id) ?? known.get(id) ?? null
            const next = spec.apply(current, event)
            if (!next || next === current) continue
            if (!current && event.version === 1) fresh.add(id)
            changed.set(
              id,
              spec.toDocument(next, {
                _id: id,
                last_position: event.position,
                created_position: current?.created_position ?? event.position,
              }),
            )
          }
          if (changed.size > 0) {
            assertHeld(lease)
            await documents.putManyGuarded([...changed.values()], (doc) => fresh.has(doc._id))
            for (const doc of changed.values()) known.set(doc._id, doc)
          }
          // Every document the batch touched, also those whose events were applied already: a
          // writer that crashed between the documents and the companion left the companion
          // behind, and the replay must bring it up (the companion ignores what it has).
          if (companion) {
            const current = [...touched].flatMap((id) => changed.get(id) ?? known.get(id) ?? [])
            if (current.length > 0) await companion.write(current, lease)
          }
        },
        async drop() {
          await documents.drop()
          await companion?.drop()
        },
      }
    },
  }
}

/** The documents one lease holder has written, forgotten when the lease changes hands (bounded, oldest dropped first). */
export function writerCache<Doc>(size = WRITER_CACHE_SIZE) {
  let token = -1
  const docs = new Map<string, Doc>()
  return {
    forLease(leaseToken: number) {
      if (leaseToken !== token) {
        docs.clear()
        token = leaseToken
      }
      return {
        has: (id: string) => docs.has(id),
        get: (id: string) => docs.get(id),
        set(id: string, doc: Doc) {
          docs.delete(id)
          docs.set(id, doc)
          if (docs.size > size) docs.delete(docs.keys().next().value as string)
        },
      }
    },
    /** Drops documents someone else rewrote under this writer's lease (a repair): the next batch reads them afresh. */
    forget(ids: Iterable<string>) {
      for (const id of ids) docs.delete(id)
    },
  }
}
