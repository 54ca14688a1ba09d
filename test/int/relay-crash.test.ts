import type { NewEvent } from '../../src/events/envelope.js'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEventStore } from '../../src/events/event-store.js'
import { MongoCommitLog } from '../../src/events/mongo-commit-log.js'
import { MongoLeaseStore } from '../../src/consumers/mongo-lease-store.js'
import { startSubscription } from '../../src/consumers/subscription.js'
import { RedisFeedStream } from '../../src/realtime/redis-feed-stream.js'
import { relayHandler } from '../../src/realtime/relay.js'
import { runToExit } from '../support/process.js'
import { createTestDatabase, redisUri, skipWithoutServers, type TestDatabase } from '../support/servers.js'
import { eventually } from '../support/wait.js'

describe.skipIf(skipWithoutServers)('relay crash between XADD and checkpoint', () => {
  let database: TestDatabase
  let redis: Redis
  const key = `test:relay-crash:${randomBytes(4).toString('hex')}`

  beforeAll(async () => {
    database = await createTestDatabase('relay_crash')
    redis = new Redis(redisUri ?? '')
  })
  afterAll(async () => {
    await redis.del(key)
    redis.disconnect()
    await database.drop()
  })

  it('the process is killed after writing to Redis; a restarted relay leaves every event in the stream exactly once', async () => {
    const store = createEventStore<NewEvent>(new MongoCommitLog(database.db), { source: 'seed' })
    for (let i = 0; i < 30; i++)
      await store.append(`thing-${i}`, [{ type: 'thing.created', data: { i } }], { actor: 'test', correlationId: 'seed' })

    const crashed = await runToExit('test/support/relay-crash-harness.ts', [], {
      MONGODB_URI: database.uri,
      REDIS_URI: redisUri ?? '',
      REDIS_STREAM: key,
    })
    expect(crashed.code).toBeNull() // killed by a signal
    expect(crashed.output).toContain('relayed 10, dying before the checkpoint')
    expect(await redis.xlen(key)).toBe(10)
    const leases = new MongoLeaseStore(database.db)
    expect((await leases.latest('relay'))?.position).toBe(0) // the checkpoint never moved

    const relay = startSubscription({
      name: 'relay',
      store,
      leases,
      leaseTtlMs: 1500,
      acquireEveryMs: 100,
      batchSize: 7, // other batch boundaries than the crashed run's
      handle: relayHandler({
        store,
        stream: new RedisFeedStream(redis, redis.duplicate(), key),
        maxLength: 100_000,
      }),
    })
    try {
      await eventually('the restarted relay to catch up', () => relay.position >= 30, 20_000)
    } finally {
      await relay.stop()
    }
    const entries = await redis.xrange(key, '-', '+')
    expect(entries.map(([id]) => id)).toEqual(Array.from({ length: 30 }, (_, i) => `${i + 1}-0`))
    expect(new Set(entries.map(([, fields]) => fields[1])).size).toBe(30)
  })
})
