import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FeedEvent } from '../../src/realtime/feed-stream.js'
import { FeedHub } from '../../src/realtime/hub.js'
import { RedisFeedStream } from '../../src/realtime/redis-feed-stream.js'
import { redisUri, skipWithoutRedis } from '../support/servers.js'
import { eventually } from '../support/wait.js'

const confirmed = (position: number): FeedEvent => ({
  event_id: `01JCHECKED0000000000000${String(position).padStart(3, '0')}`,
  type: 'order.confirmed',
  data: { order_id: `ORD-${String(position).padStart(5, '0')}` },
  metadata: { timestamp: new Date(0).toISOString(), source: 'test', actor: 'admin@test.local', correlation_id: 'c' },
  position,
})

/** Unsafe consumption (OWASP API10): what the feed reads from Redis is checked before it reaches a client. */
describe.skipIf(skipWithoutRedis)('feed entries from Redis are checked against the event catalogue', () => {
  const key = `test:feed-check:${randomBytes(4).toString('hex')}`
  let redis: Redis

  beforeAll(() => {
    redis = new Redis(redisUri ?? '')
  })
  afterAll(async () => {
    await redis.del(key)
    redis.disconnect()
  })

  it('skips, reports and counts malformed or foreign-shaped entries; later ones still arrive, with no resync', async () => {
    const entries: [number, string][] = [
      [1, JSON.stringify(confirmed(1))],
      [2, '{"not json'],
      [3, JSON.stringify({ ...confirmed(3), type: 'order.teleported' })],
      [4, JSON.stringify({ ...confirmed(4), data: { order_id: '<script>' } })],
      [5, JSON.stringify({ ...confirmed(5), position: 99 })],
      [6, JSON.stringify(confirmed(6))],
    ]
    for (const [position, json] of entries) await redis.xadd(key, `${position}-0`, 'event', json)
    await redis.xadd(key, '7-0', 'other', 'field') // no `event` field at all

    const invalid: [number, string][] = []
    const stream = new RedisFeedStream(redis, redis.duplicate(), key, (position, problem) => invalid.push([position, problem]))
    const hub = new FeedHub(stream, { onError: () => undefined, head: () => Promise.resolve(100), blockMs: 200 })
    hub.start()
    const delivered: number[] = []
    const resyncs: string[] = []
    await hub.join({ deliver: (event) => delivered.push(event.position), resync: (reason) => resyncs.push(reason) }, 0)
    await redis.xadd(key, '8-0', 'event', JSON.stringify(confirmed(8))) // a live entry after the bad ones
    await eventually(
      () => `position 8 delivered (got ${delivered.join(',')})`,
      () => delivered.includes(8),
      5000,
    )
    await hub.stop()

    expect(delivered).toEqual([1, 6, 8])
    expect(resyncs).toEqual([])
    expect(invalid.map(([position]) => position)).toEqual([2, 3, 4, 5, 7])
    expect(invalid.find(([position]) => position === 3)?.[1]).toMatch(/unknown event type/)
    expect(invalid.find(([position]) => position === 4)?.[1]).toMatch(/order\.confirmed data\/order_id/)
  })
})
