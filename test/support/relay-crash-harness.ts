// A relay in a process of its own that SIGKILLs itself right after its first XADD batch and
// before the checkpoint: the crash of acceptance "relay killed between XADD and checkpoint".
// Run: node --import tsx test/support/relay-crash-harness.ts (MONGODB_URI, REDIS_URI, REDIS_STREAM set).
import { Redis } from 'ioredis'
import { MongoClient } from 'mongodb'
import { createEventStore } from '../../src/events/event-store.js'
import { MongoCommitLog } from '../../src/events/mongo-commit-log.js'
import { MongoLeaseStore } from '../../src/consumers/mongo-lease-store.js'
import { startSubscription } from '../../src/consumers/subscription.js'
import { RedisFeedStream } from '../../src/realtime/redis-feed-stream.js'
import { relayHandler } from '../../src/realtime/relay.js'

const { MONGODB_URI, REDIS_URI, REDIS_STREAM } = process.env
if (!MONGODB_URI || !REDIS_URI || !REDIS_STREAM) throw new Error('MONGODB_URI, REDIS_URI and REDIS_STREAM are required')
const client = await new MongoClient(MONGODB_URI).connect()
const db = client.db()
const store = createEventStore(new MongoCommitLog(db), { source: 'crashing-relay' })
const redis = new Redis(REDIS_URI)
const relay = relayHandler({
  store,
  stream: new RedisFeedStream(redis, redis.duplicate(), REDIS_STREAM),
  maxLength: 100_000,
})
startSubscription({
  name: 'relay',
  store,
  leases: new MongoLeaseStore(db),
  batchSize: 10,
  leaseTtlMs: 1500,
  handle: async (events, lease) => {
    await relay(events, lease)
    process.stdout.write(`relayed ${events.length}, dying before the checkpoint\n`)
    process.kill(process.pid, 'SIGKILL')
  },
})
