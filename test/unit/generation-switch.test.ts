import { afterEach, describe, expect, it } from 'vitest'
import { MemoryGenerationStore } from '../../src/consumers/memory-generation-store.js'
import { MemoryLeaseStore } from '../../src/consumers/memory-lease-store.js'
import { type ProjectionManager, startProjectionManager } from '../../src/consumers/projection-manager.js'
import { createEventStore } from '../../src/events/event-store.js'
import { MemoryCommitLog } from '../../src/events/memory-commit-log.js'
import { countingProjection } from '../support/projections/harness.js'
import { eventually } from '../support/wait.js'

const who = { actor: 'test', correlationId: 'switch' }

describe('a rebuild goes live as soon as it has caught up', () => {
  const managers: ProjectionManager<'orders'>[] = []
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.stop()))
  })

  it('switches without waiting for the next refresh of the registry, and stops asking for refreshes once live', async () => {
    const store = createEventStore(new MemoryCommitLog(), { source: 'test' })
    const append = (i: number) => store.append(`stream-${i}`, [{ type: 'thing.happened', data: { i } }] as never, who)
    for (let i = 1; i <= 20; i++) await append(i)
    const generations = new MemoryGenerationStore()
    let registryReads = 0
    const list = generations.list.bind(generations)
    generations.list = (name) => {
      registryReads++
      return list(name)
    }
    const applied = new Map<number, number>()
    const manager = startProjectionManager({
      store,
      leases: new MemoryLeaseStore(),
      generations,
      projections: [countingProjection(applied)],
      holder: 'only',
      pollMs: 10,
      // The periodic refresh never comes during this test: only catching up can switch.
      refreshMs: 3_600_000,
    })
    managers.push(manager)
    await manager.ready()
    expect(manager.liveGeneration('orders')).toBe(1)

    const { generation } = await manager.rebuild('orders')
    expect(generation).toBe(2)
    await eventually('the rebuilt generation to go live', () => manager.liveGeneration('orders') === 2)
    expect(applied.get(2)).toBe(20)
    expect((await generations.list('orders')).map((r) => [r.generation, r.state])).toEqual([
      [1, 'retired'],
      [2, 'live'],
    ])

    // Live now: catching up with new events does not read the registry again.
    const readsWhenLive = registryReads
    for (let i = 21; i <= 25; i++) await append(i)
    await eventually('the live generation to apply the new events', () => applied.get(2) === 25)
    expect(registryReads).toBe(readsWhenLive)
  })
})
