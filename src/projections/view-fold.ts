import type { ReadEvent } from '../events/envelope.js'

/** What a view records of the last event applied to it. */
export interface Stamp {
  version: number
  position: number
  updated_at: string
}

export interface ViewFold<View, E extends ReadEvent> {
  initialState: () => View | null
  /** Applies one event; an event at or below the view's version returns the view unchanged. */
  evolve: (view: View | null, event: E) => View | null
  /** The view folded from a stream's events (null before its first event). */
  of: (events: readonly E[]) => View | null
}

/**
 * A view's fold (null before the aggregate's first event), made replay-safe: an event at or
 * below the view's version is ignored, so applying events twice changes nothing. `apply`
 * gets the stamp (version, position, time) of the event it applies.
 */
export function viewFold<View extends { version: number }, E extends ReadEvent>(
  apply: (view: View | null, event: E, stamp: Stamp) => View | null,
): ViewFold<View, E> {
  const evolve = (view: View | null, event: E): View | null =>
    view && event.version <= view.version
      ? view
      : apply(view, event, { version: event.version, position: event.position, updated_at: event.metadata.timestamp })
  return { initialState: () => null, evolve, of: (events) => events.reduce(evolve, null) }
}
