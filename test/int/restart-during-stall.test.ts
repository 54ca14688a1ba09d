import { Redis } from 'ioredis'
import { MongoClient } from 'mongodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LoadReport, orderLoad } from '../support/order-load.js'
import {
  CLIENT_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  SALES_REP,
  expectStoredExactlyOnce,
  startService,
} from '../support/outage-service.js'
import { deferred } from '../support/projections/harness.js'
import { type PrivateFerretDb, privateFerretDb } from '../support/private-ferretdb.js'
import { privateRedis } from '../support/realtime.js'
import { redisNamespace, redisUri, skipWithoutServers } from '../support/servers.js'
import { eventually, sleep } from '../support/wait.js'

/** The service's default. */
const SHUTDOWN_TIMEOUT_MS = 10_000

/**
 * One step of a rolling restart taken while a dependency stalls: orders at 8/s, `stall()`,
 * SIGTERM a second later. The instance must exit 0 within SHUTDOWN_TIMEOUT_MS with no error
 * line, every request answered (201 or a bounded 503) or refused at once. Then `resume()`, a
 * second instance on the same stores, the unacknowledged orders retried there with their keys,
 * as a client would: each acknowledged order stored once and served by the second instance.
 */
async function restartDuringStall(
  dependency: string,
  stores: { uri: string; redisUri: string; stall(): void; resume(): void },
): Promise<{ shutdownLog: string; report: LoadReport; namespace: { REDIS_KEY_PREFIX: string; REDIS_STREAM: string } }> {
  const namespace = redisNamespace('outage')
  const env = { MONGODB_URI: stores.uri, REDIS_URI: stores.redisUri, ...namespace }
  const first = await startService(env)
  const { promise: stop, resolve: end } = deferred()
  const load = orderLoad({ ...first, salesRep: SALES_REP, perSecond: 8, stop, clientTimeoutMs: CLIENT_TIMEOUT_MS, retryForMs: 0 })
  await sleep(2000)
  stores.stall()
  // Orders, consumers and readiness are now waiting on the stalled server.
  await sleep(1000)
  const signalledAt = Date.now()
  first.service.child.kill('SIGTERM')
  const code = await first.service.exited
  const shutdownMs = Date.now() - signalledAt
  end()
  const report = await load
  stores.resume()
  const output = first.service.output()
  // (The stall itself may be logged at error level before the signal: "mongodb is unavailable".)
  const shutdownLog = output.slice(output.indexOf('"msg":"shutting down"'))
  const errors = shutdownLog.split('\n').filter((line) => /"level":"(error|fatal)"/.test(line))
  console.log(`SIGTERM during a ${dependency} stall: exit ${String(code)} after ${shutdownMs} ms; ${errors.length} error lines`)
  expect(errors).toEqual([])
  expect(code).toBe(0)
  expect(shutdownMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS)
  // Requests in flight got 201 or their bounded 503; none hung. Those sent after the listener
  // closed were refused at once (status 0), as a load balancer would see.
  expect(report.responses.filter((r) => r.status !== 0).every((r) => r.status === 201 || r.status === 503)).toBe(true)
  expect(report.responses.filter((r) => r.status === 0).every((r) => r.ms < REQUEST_TIMEOUT_MS)).toBe(true)

  const second = await startService(env)
  for (const key of report.unacknowledged) {
    const response = await fetch(`${second.url}/api/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${second.token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ customer: { name: key }, items: [{ sku: first.sku, quantity: 1 }], sales_rep: SALES_REP }),
    })
    expect(response.status).toBeOneOf([200, 201])
    const { order_id: id } = (await response.json()) as { order_id: string }
    report.acknowledged.set(key, new Set([id]))
  }
  report.unacknowledged = []
  await expectStoredExactlyOnce(stores.uri, report)
  const ids = [...report.acknowledged.values()].flatMap((set) => [...set])
  const served = async (id: string) =>
    (await fetch(`${second.url}/api/orders/${id}`, { headers: { authorization: `Bearer ${second.token}` } })).status === 200
  await eventually(
    "every acknowledged order in the next instance's read model",
    async () => (await Promise.all(ids.map(served))).every(Boolean),
    15_000,
  )
  return { shutdownLog, report, namespace }
}

/** How many events the store holds (positions are dense: also the head position). */
async function storedEventCount(uri: string): Promise<number> {
  const client = await MongoClient.connect(uri)
  try {
    const commits = await client.db().collection<{ events: unknown[] }>('events').find({}).toArray()
    return commits.reduce((sum, commit) => sum + commit.events.length, 0)
  } finally {
    await client.close()
  }
}

describe.skipIf(skipWithoutServers)(
  'a rolling restart during a stall: SIGTERM while MongoDB or Redis does not answer (real processes)',
  () => {
    let ferret: PrivateFerretDb

    beforeAll(async () => {
      ferret = await privateFerretDb()
    })
    afterAll(async () => {
      await ferret.dispose()
    })

    it('SIGTERM while MongoDB is stalled: exit 0 within SHUTDOWN_TIMEOUT_MS, nothing logged as an error; the next instance takes over, nothing lost or doubled', async () => {
      const { shutdownLog, report } = await restartDuringStall('MongoDB', {
        uri: ferret.uri('test_outage_shutdown'),
        redisUri: redisUri ?? '',
        stall: () => {
          ferret.pause()
        },
        resume: () => {
          ferret.resume()
        },
      })
      // The consumers were left waiting on MongoDB: their leases passed on by expiry.
      expect(shutdownLog).toContain('its lease passes on when it expires')
      expect(report.responses.some((r) => r.status === 503)).toBe(true)
    }, 120_000)

    it('SIGTERM while Redis is stalled: exit 0 within SHUTDOWN_TIMEOUT_MS, nothing logged as an error; the stream then holds every event once', async () => {
      const redis = await privateRedis()
      try {
        const uri = ferret.uri('test_outage_shutdown_redis')
        const { namespace } = await restartDuringStall('Redis', {
          uri,
          redisUri: redis.uri,
          stall: () => {
            redis.pause()
          },
          resume: () => {
            redis.resume()
          },
        })
        const head = await storedEventCount(uri)
        const direct = new Redis(redis.uri)
        try {
          await eventually(
            'the next instance to relay every event',
            async () => (await direct.xlen(namespace.REDIS_STREAM)) >= head,
            20_000,
          )
          const entries = await direct.xrange(namespace.REDIS_STREAM, '-', '+')
          expect(entries.map(([id]) => id)).toEqual(Array.from({ length: head }, (_, i) => `${i + 1}-0`))
        } finally {
          direct.disconnect()
        }
      } finally {
        redis.resume()
        await redis.stop()
      }
    }, 120_000)
  },
)
