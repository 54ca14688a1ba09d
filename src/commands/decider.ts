/**
 * An aggregate's pure logic (Emmett's `Decider`): `decide` turns a command and the current
 * state into events (or throws a typed domain error), `evolve` folds an event into the
 * state, `initialState` is the state of a stream with no events. No I/O, no clock, no ids:
 * whatever a decision needs arrives in the command.
 */
export interface Decider<Command, State, Event> {
  decide: (command: Command, state: State) => Event[]
  evolve: (state: State, event: Event) => State
  initialState: () => State
}
