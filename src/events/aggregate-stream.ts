import type { NewEvent, ReadEvent } from './envelope.js'
import type { EventStore } from './event-store.js'

/** How a stream folds into a state: an aggregate's decider, or a view's fold. */
export interface StreamFold<State, E extends NewEvent> {
  initialState: () => State
  /** Deciders fold domain events (`OrderEvent`); views fold stored ones (`ReadEvent<OrderEvent>`) for their metadata. */
  evolve: (state: State, event: E) => State
}

export interface AggregatedStream<State, E extends NewEvent> {
  state: State
  /** The stream's events, oldest first. */
  events: ReadEvent<E>[]
  /** Version of the last event (0 for a stream with no events). */
  version: number
  /** Global position of the last event (0 for a stream with no events). */
  position: number
}

/**
 * Reads a stream (all of it, or up to a time or a version) and folds it from the initial state
 * (Emmett's `aggregateStream`). A stream holds one aggregate's events (`order-…` only
 * order events), which is what lets the fold take that aggregate's union `E`.
 */
export async function aggregateStream<State, E extends NewEvent>(
  store: Pick<EventStore<NewEvent>, 'readStream'>,
  stream: string,
  fold: StreamFold<State, E>,
  options: { until?: Date; toVersion?: number } = {},
): Promise<AggregatedStream<State, E>> {
  const { until, toVersion = Number.MAX_SAFE_INTEGER } = options
  const read = (await store.readStream(stream, until ? { until } : {})) as (E & ReadEvent<E>)[]
  const events = read.filter((event) => event.version <= toVersion)
  let state = fold.initialState()
  for (const event of events) state = fold.evolve(state, event)
  const last = events.at(-1)
  return { state, events, version: last?.version ?? 0, position: last?.position ?? 0 }
}
