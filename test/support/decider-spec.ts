import { expect } from 'vitest'
import type { Decider } from '../../src/commands/decider.js'

/** What a thrown error must satisfy: its `code`, or a predicate returning true. */
export type ErrorCheck = string | ((error: unknown) => boolean)

/** The assertions available once the history and the command are known. */
export interface DeciderThen<Event> {
  /** Asserts that `decide` returns exactly these events (deep, strict equality). */
  then: (expected: readonly Event[]) => void
  /** Asserts that `decide` throws an error passing `check`; returns the error for further assertions. */
  thenThrows: (check: ErrorCheck) => unknown
}

/** Given/when/then over a decider, after Emmett's `DeciderSpecification.for(decider)`. */
export function deciderSpec<Command, State, Event>(decider: Decider<Command, State, Event>) {
  return {
    /** Folds `events` with `evolve` from `initialState` into the state the command meets. */
    given: (events: readonly Event[]) => ({
      /** Runs `decide` on that state (lazily, when `then`/`thenThrows` is called). */
      when: (command: Command): DeciderThen<Event> => {
        // The fold runs outside `thenThrows`' try, so an error from `evolve` is never taken for a decision.
        const fold = (): State => events.reduce((state, event) => decider.evolve(state, event), decider.initialState())
        return {
          then: (expected) => {
            expect(decider.decide(command, fold())).toStrictEqual(expected)
          },
          thenThrows: (check) => {
            const state = fold()
            let produced: Event[]
            try {
              produced = decider.decide(command, state)
            } catch (error) {
              if (typeof check === 'string') expect(error).toHaveProperty('code', check)
              else expect(check(error), `error check rejected ${String(error)}`).toBe(true)
              return error
            }
            return expect.fail(`expected decide to throw, it returned ${JSON.stringify(produced)}`)
          },
        }
      },
    }),
  }
}
