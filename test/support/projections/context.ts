import { afterEach, beforeEach, expect } from 'vitest'
import type { ReadEvent } from '../../../src/events/envelope.js'
import type { EventStore } from '../../../src/events/event-store.js'
import type { ReadModelDocument } from '../../../src/projections/read-model.js'
import { type ProjectionFixture, type ProjectionFixtureFactory, type ProjectionUnderTest, build, byId } from './harness.js'
import { type Commit, streamOf } from './history.js'

const who = { actor: 'rep@example.com', correlationId: 'projection-contract' }

/** Given commits, then exactly these documents (see `projectionSpec`). */
export interface ProjectionSpec<T extends ReadModelDocument> {
  given(...commits: Commit[]): { then(expected: readonly T[]): Promise<void> }
}

/** What the parts of one run of the contract share: the adapter's fixtures, one clock, and the spec helpers. */
export interface ContractContext {
  make: ProjectionFixtureFactory
  /** The clock the fixtures' event stores stamp events with; `record` moves it. */
  now: () => Date
  /** Appends each commit at its time, in order; returns every stored event (real positions and metadata). */
  record: (store: EventStore, commits: readonly Commit[]) => Promise<ReadEvent[]>
  /** A fresh fixture for each test of the enclosing describe. */
  freshFixtureEachTest: () => () => ProjectionFixture
  /** Given commits, then documents: see `projectionSpec` below. */
  projectionSpec: <T extends ReadModelDocument>(
    target: ProjectionUnderTest<T>,
    fixture: () => ProjectionFixture,
  ) => ProjectionSpec<T>
}

/** The shared state of one `projectionContract` run; call it inside its describe. */
export function contractContext(make: ProjectionFixtureFactory): ContractContext {
  let clock = 0
  const now = () => new Date(clock)

  async function record(store: EventStore, commits: readonly Commit[]): Promise<ReadEvent[]> {
    for (const commit of commits) {
      clock = commit.at
      await store.append(streamOf(commit.event), [commit.event], who)
    }
    const events: ReadEvent[] = []
    for (let after = 0; ;) {
      const page = await store.readAll({ after, limit: 500 })
      if (page.events.length === 0) return events
      events.push(...page.events)
      after = page.position
    }
  }

  function freshFixtureEachTest(): () => ProjectionFixture {
    let fixture: ProjectionFixture | undefined
    beforeEach(async () => {
      fixture = await make({ now })
    })
    afterEach(async () => {
      await fixture?.cleanup()
      fixture = undefined
    })
    return () => {
      if (!fixture) throw new Error('no fixture outside a test')
      return fixture
    }
  }

  /**
   * Given these commits (appended through the real event store), when the projection
   * applies them — as one batch, and again one event per batch into another generation —
   * then the read model holds exactly these documents, and nothing else.
   */
  function projectionSpec<T extends ReadModelDocument>(
    target: ProjectionUnderTest<T>,
    fixture: () => ProjectionFixture,
  ): ProjectionSpec<T> {
    return {
      given: (...commits: Commit[]) => ({
        then: async (expected: readonly T[]) => {
          const events = await record(fixture().store, commits)
          const oneBatch = await build(target, fixture(), 1, [events])
          const eventByEvent = await build(
            target,
            fixture(),
            2,
            events.map((event) => [event]),
          )
          expect(oneBatch, 'applied as one batch').toStrictEqual(byId(expected))
          expect(eventByEvent, 'applied one event per batch').toStrictEqual(byId(expected))
        },
      }),
    }
  }

  return { make, now, record, freshFixtureEachTest, projectionSpec }
}
