import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REDIS_BACK_OFF_MS } from '../../src/infra/redis-back-off.js'
import { redisSequences } from '../../src/infra/redis-sequences.js'
import { memorySequences } from '../../src/infra/sequence.js'
import { type PrivateRedis, privateRedis } from '../support/realtime.js'
import { skipWithoutRedis } from '../support/servers.js'
import { sleep } from '../support/wait.js'

describe.skipIf(skipWithoutRedis)('order numbers from Redis while Redis stalls (a real redis-server, paused)', () => {
  let redis: PrivateRedis
  let client: Redis

  beforeAll(async () => {
    redis = await privateRedis()
    // As the service's fail-fast connection: no offline queue, a short command timeout.
    client = new Redis(redis.uri, { enableOfflineQueue: false, commandTimeout: 300, maxRetriesPerRequest: 0, lazyConnect: true })
    await client.connect()
  })
  afterAll(async () => {
    client.disconnect()
    redis.resume()
    await redis.stop()
  })

  it('come from the store above every number in use, asking Redis once per back-off; back in Redis, a taken number lifts it above them', async () => {
    let evals = 0
    const counted = new Proxy(client, {
      get(target, property) {
        if (property === 'eval') {
          return (...args: Parameters<Redis['eval']>) => {
            evals++
            return target.eval(...args)
          }
        }
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    })
    // The store's head position: each number claimed puts an order's first event in the log.
    let head = 0
    const claim = (n: number) => {
      head = Math.max(head, n)
      return n
    }
    const sequences = redisSequences(counted, 'seq-test:', () => Promise.resolve(head), memorySequences())
    const before = [claim(await sequences.next('order_number')), claim(await sequences.next('order_number'))]
    expect(before).toEqual([1, 2])
    expect(await client.get('seq-test:sequence:order_number')).toBe('2')

    redis.pause()
    const asked = evals
    const during = [claim(await sequences.next('order_number')), claim(await sequences.next('order_number'))]
    await sequences.atLeast('order_number', during[1] ?? 0)
    claim(await sequences.next('order_number'))
    // The store's counter never counted while Redis did: it starts above the head, not at 1.
    expect(during).toEqual([3, 4])
    expect(head).toBe(5)
    // One command timed out; the rest waited on nothing.
    expect(evals - asked).toBe(1)

    redis.resume()
    await sleep(REDIS_BACK_OFF_MS + 200)
    // Redis's counter is behind what the store handed out (by one less if the command that
    // timed out ran once Redis woke): its next number is taken, and the failed claim's
    // `atLeast` lifts it above the head (the order commands' retry).
    const stale = await sequences.next('order_number')
    expect(during).toContain(stale)
    await sequences.atLeast('order_number', stale)
    expect(await sequences.next('order_number')).toBe(6)
  }, 30_000)
})
