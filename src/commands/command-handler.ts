import { type DomainEvent, eventDataProblem } from '../events/catalog.js'
import { type AggregatedStream, aggregateStream } from '../events/aggregate-stream.js'
import type { ReadEvent } from '../events/envelope.js'
import { CommandIdConflictError, ConcurrencyError } from '../events/errors.js'
import type { AppendResult, EventStore } from '../events/event-store.js'
import type { Decider } from './decider.js'
import { ConcurrentChangeError, InvalidDecisionError, VersionMismatchError } from './errors.js'
import { type IdempotentRequest, assertSameRequest, createKeyedLock } from './idempotency.js'
import { AppError } from '../shared/errors.js'

/** Who caused a command, for event metadata. */
export interface CommandContext {
  actor: string
  correlationId: string
}

/** The stream a command goes to, and the command. */
export interface CommandTarget<Command> {
  stream: string
  command: Command
  /**
   * The command creates this stream under a name it was just handed (a new order number):
   * it is decided on the empty state without reading the stream, and appended with
   * `no_stream`. If another writer already holds that name the append is refused and the
   * target is asked again for a new one.
   */
  claim?: boolean
}

export interface HandleOptions<State> {
  /** From `Idempotency-Key`: a retry of the same request returns the original result, another body is a 422. */
  idempotency?: IdempotentRequest
  /** From `If-Match`: decide only if the stream is at this version; a race is then a 412. */
  ifMatch?: number
  /** Checks (and may refuse) the caller against the loaded state, e.g. "own orders only". */
  authorize?: (state: State) => void
  /** Attempts in all when another writer changes the stream first (default 4); each re-loads and re-decides. */
  attempts?: number
  /** After a lost race, re-decide only if this holds for the state decided on and the new one (default: always). */
  retryIf?: (decidedOn: State, now: State) => boolean
  /** Names a state in a `ConcurrentChangeError` ("created" → "confirmed"). */
  describe?: (state: State) => string
}

export interface CommandResult<State, E extends DomainEvent> {
  /** The stream's state after the command. */
  state: State
  /** The stream's events after the command, its own included. */
  events: ReadEvent<E>[]
  version: number
  position: number
  /** True for a retry of a keyed request: nothing was written, the original result is returned. */
  replayed: boolean
}

/** A target given as a function is asked again on every attempt (e.g. a new order's stream and number). */
export type Target<Command> = CommandTarget<Command> | (() => Promise<CommandTarget<Command>>)

export type CommandHandler = <Command, State, E extends DomainEvent>(
  decider: Decider<Command, State, E>,
  target: Target<Command>,
  context: CommandContext,
  options?: HandleOptions<State>,
) => Promise<CommandResult<State, E>>

const DEFAULT_ATTEMPTS = 4

/**
 * The one command handler (Emmett's `CommandHandler`) every command goes through: load the
 * stream → fold `evolve` → `decide` → check every decided event against its schema →
 * append with the expected version. Idempotency lives here and only here: a keyed command
 * that is already stored answers with the stream as that command left it. A lost race is
 * retried by re-loading and re-deciding.
 */
export function createCommandHandler(store: EventStore): CommandHandler {
  const oneAtATime = createKeyedLock()

  async function handle<Command, State, E extends DomainEvent>(
    decider: Decider<Command, State, E>,
    target: Target<Command>,
    context: CommandContext,
    options: HandleOptions<State>,
  ): Promise<CommandResult<State, E>> {
    const { idempotency, ifMatch } = options
    // A keyed command looks its original up before deciding on an existing stream: deciding
    // again on the state the original left could give another answer (a 409, not the
    // original's). A command that claims a new stream (a new order) does not: its command id
    // is unique in the store, so a retry's append is refused and answered with the original,
    // and its outcome is looked up only if deciding fails (a SKU discontinued since). On
    // FerretDB a look-up by command id is a scan of the whole log, on every new order.
    let lookedUp = false
    const attempts = ifMatch === undefined ? (options.attempts ?? DEFAULT_ATTEMPTS) : 1
    let decidedOn: { state: State } | undefined
    try {
      for (let attempt = 1; ; attempt++) {
        const { stream, command, claim } = typeof target === 'function' ? await target() : target
        if (idempotency && !claim && !lookedUp) {
          lookedUp = true
          const original = await store.findCommand(idempotency.commandId)
          if (original) return await replay(decider, original, idempotency)
        }
        const loaded = claim ? emptyStream<State, E>(decider.initialState) : await aggregateStream(store, stream, decider)
        options.authorize?.(loaded.state)
        if (ifMatch !== undefined && ifMatch !== loaded.version) throw new VersionMismatchError(ifMatch, loaded.version)
        if (decidedOn && options.retryIf && !options.retryIf(decidedOn.state, loaded.state)) {
          const describe = options.describe ?? String
          throw new ConcurrentChangeError(stream.split('-')[0] ?? stream, describe(decidedOn.state), describe(loaded.state))
        }

        const events = decider.decide(command, loaded.state)
        if (events.length === 0) return { ...loaded, replayed: false }
        for (const event of events) {
          const problem = eventDataProblem(event)
          if (problem) throw new InvalidDecisionError(problem)
        }
        try {
          const result = await store.append(stream, events, {
            expectedVersion: loaded.version === 0 ? 'no_stream' : loaded.version,
            actor: context.actor,
            correlationId: context.correlationId,
            ...idempotency,
          })
          if (result.replayed && idempotency) return await replay(decider, result, idempotency)
          return {
            state: events.reduce(decider.evolve, loaded.state),
            events: [...loaded.events, ...result.events],
            version: result.version,
            position: result.position,
            replayed: false,
          }
        } catch (error) {
          // An identical keyed request on another instance won, on another stream (another order number).
          if (error instanceof CommandIdConflictError && idempotency) {
            lookedUp = true
            const original = await store.findCommand(idempotency.commandId)
            if (original) return await replay(decider, original, idempotency)
          }
          if (!(error instanceof ConcurrencyError)) throw error
          if (ifMatch !== undefined) throw new VersionMismatchError(ifMatch, error.actual)
          if (attempt >= attempts) throw error
          decidedOn = { state: loaded.state }
        }
      }
    } catch (error) {
      if (!idempotency || lookedUp || !(error instanceof AppError)) throw error
      const original = await store.findCommand(idempotency.commandId)
      if (original) return replay(decider, original, idempotency)
      throw error
    }
  }

  /** What a stream with no events folds to. */
  function emptyStream<State, E extends DomainEvent>(initialState: () => State): AggregatedStream<State, E> {
    return { state: initialState(), events: [], version: 0, position: 0 }
  }

  /** The stream as the original command left it, for a retry of a keyed request. */
  async function replay<Command, State, E extends DomainEvent>(
    decider: Decider<Command, State, E>,
    original: AppendResult,
    idempotency: IdempotentRequest,
  ): Promise<CommandResult<State, E>> {
    assertSameRequest(original, idempotency)
    const stream = await aggregateStream(store, original.stream, decider, { toVersion: original.version })
    return { ...stream, replayed: true }
  }

  return (decider, target, context, options = {}) =>
    oneAtATime(options.idempotency?.commandId, () => handle(decider, target, context, options))
}
