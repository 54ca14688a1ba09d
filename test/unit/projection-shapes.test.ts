import { afterEach, describe, expect, it } from 'vitest'
import { MemoryGenerationStore } from '../../src/consumers/memory-generation-store.js'
import { MemoryLeaseStore } from '../../src/consumers/memory-lease-store.js'
import { type ProjectionManager, startProjectionManager } from '../../src/consumers/projection-manager.js'
import { createEventStore } from '../../src/events/event-store.js'
import { MemoryCommitLog } from '../../src/events/memory-commit-log.js'
import { countingProjection } from '../support/projections/harness.js'
import { eventually } from '../support/wait.js'

describe('read-model shapes: an upgrade that changes a read model rebuilds it by itself', () => {
  const managers: ProjectionManager<'orders'>[] = []
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.stop()))
  })

  it('a live generation of an older shape keeps serving while one in the new shape is built, then the new one goes live', async () => {
    const store = createEventStore(new MemoryCommitLog(), { source: 'test' })
    for (let i = 1; i <= 5; i++)
      await store.append(`stream-${i}`, [{ type: 'thing.happened', data: { i } }] as never, {
        actor: 'test',
        correlationId: 'shapes',
      })
    const generations = new MemoryGenerationStore()
    const leases = new MemoryLeaseStore()
    // Generation 1 was built by code of shape 1 (a record from before shapes has none: 1).
    await generations.insert({ _id: 'orders#1', name: 'orders', generation: 1, state: 'live', requested_at: 0 })

    const applied = new Map<number, number>()
    const start = (shape: number, holder: string) => {
      const manager = startProjectionManager({
        store,
        leases,
        generations,
        projections: [countingProjection(applied, shape)],
        holder,
        pollMs: 10,
        refreshMs: 20,
      })
      managers.push(manager)
      return manager
    }
    const upgraded = start(2, 'new-code')
    await upgraded.ready()
    expect(upgraded.liveGeneration('orders')).toBe(1)
    expect(upgraded.liveIsCurrent('orders')).toBe(false)
    expect((await generations.list('orders')).find((r) => r.generation === 2)).toMatchObject({ state: 'building', shape: 2 })

    await eventually('the generation of shape 2 to go live', async () => {
      const records = await generations.list('orders')
      return records.find((r) => r.generation === 2)?.state === 'live'
    })
    expect(upgraded.liveGeneration('orders')).toBe(2)
    expect(upgraded.liveIsCurrent('orders')).toBe(true)
    // The new code never wrote into the old generation's documents; it built its own from position 0.
    expect(applied.get(1)).toBeUndefined()
    expect(applied.get(2)).toBe(5)
    // Another instance of the new code starting now builds nothing more.
    await start(2, 'new-code-2').ready()
    expect((await generations.list('orders')).map((r) => r.generation).sort()).toEqual([1, 2])
  })

  it('old code still running next to the new one never applies events to the new shape’s generation', async () => {
    const store = createEventStore(new MemoryCommitLog(), { source: 'test' })
    await store.append('stream-1', [{ type: 'thing.happened', data: {} }] as never, { actor: 'test', correlationId: 'shapes' })
    const generations = new MemoryGenerationStore()
    const leases = new MemoryLeaseStore()
    await generations.insert({ _id: 'orders#1', name: 'orders', generation: 1, state: 'live', requested_at: 0, shape: 1 })
    await generations.insert({ _id: 'orders#2', name: 'orders', generation: 2, state: 'building', requested_at: 1, shape: 2 })
    const applied = new Map<number, number>()
    const old = startProjectionManager({
      store,
      leases,
      generations,
      projections: [countingProjection(applied, 1)],
      holder: 'old-code',
      pollMs: 10,
    })
    managers.push(old)
    await old.ready()
    await eventually('the old code to apply the live generation', () => applied.get(1) === 1)
    expect(applied.get(2)).toBeUndefined()
    expect(old.liveIsCurrent('orders')).toBe(true)
  })
})
