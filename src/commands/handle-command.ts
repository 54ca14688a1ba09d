import { type DomainEvent, eventDataProblem } from '../events/catalog.js'
import type { StoredEvent } from '../events/envelope.js'
import { ConcurrencyError } from '../events/errors.js'
import type { EventStore } from '../events/event-store.js'
import { ConcurrentChangeError, VersionMismatchError } from './errors.js'

/** An aggregate's pure logic (STYLE: Emmett-style decider). */
export interface Decider<Command, State, Event extends DomainEvent> {
  initialState(): State
  decide(command: Command, state: State): Event[]
  evolve(state: State, event: Event): State
}

/** Who caused a command, for event metadata. */
export interface CommandContext {
  actor: string
  correlationId: string
}

export interface HandleOptions<State> {
  /** From `If-Match`: decide only if the stream is at this version; a race is then a 412. */
  ifMatch?: number
  /** Checks (and may refuse) the caller against the loaded state, e.g. "own orders only". */
  authorize?(state: State): void
  /** After a lost race, re-decide on the new state only if this holds (default: always). */
  mayRetry?(decidedOn: State, now: State): boolean
  /** Describes a state for a `ConcurrentChangeError` ("created" → "confirmed"). */
  describe?(state: State): string
}

export interface CommandResult<State> {
  state: State
  /** The stream's events after the command, its own included. */
  events: StoredEvent[]
  version: number
  position: number
}

const MAX_ATTEMPTS = 4

/**
 * The one command handler: load the stream → fold `evolve` → `decide` → append with the
 * expected version. A lost race without `If-Match` is retried (re-load, re-decide) a few
 * times; with `If-Match` it is a 412 at once.
 */
export async function handleCommand<Command, State, Event extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, State, Event>,
  command: Command,
  context: CommandContext,
  options: HandleOptions<State> = {},
): Promise<CommandResult<State>> {
  let decidedOn: State | undefined
  for (let attempt = 1; ; attempt++) {
    const history = await store.readStream(stream)
    const state = history.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as Event), decider.initialState())
    const version = history.at(-1)?.version ?? 0
    options.authorize?.(state)
    if (options.ifMatch !== undefined && options.ifMatch !== version) throw new VersionMismatchError(options.ifMatch, version)
    if (decidedOn !== undefined && options.mayRetry && !options.mayRetry(decidedOn, state)) {
      const describe = (s: State) => (options.describe ? options.describe(s) : String(s))
      throw new ConcurrentChangeError(stream.split('-')[0] ?? stream, describe(decidedOn), describe(state))
    }

    const events = decider.decide(command, state)
    if (events.length === 0) return { state, events: history, version, position: history.at(-1)?.position ?? 0 }
    for (const event of events) {
      const problem = eventDataProblem(event)
      if (problem) throw new Error(`decider produced an invalid event: ${problem}`)
    }
    try {
      const result = await store.append(stream, events, {
        expectedVersion: version === 0 ? 'no_stream' : version,
        actor: context.actor,
        correlationId: context.correlationId,
      })
      return {
        state: events.reduce((s, e) => decider.evolve(s, e), state),
        events: [...history, ...result.events],
        version: result.version,
        position: result.position,
      }
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error
      if (options.ifMatch !== undefined) throw new VersionMismatchError(options.ifMatch, error.actual)
      if (attempt >= MAX_ATTEMPTS) throw error
      decidedOn = state
    }
  }
}
