import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { redisBackOff } from '../infra/redis-back-off.js'
import type { AppendTurn, AppendTurns } from './append-turns.js'

/** A holder that died (or stalls this long) is replaced: the turn is started again. */
const HOLD_MS = 3000

// KEYS: holder, generation, baton. A new turn only if nobody holds or passes one.
const START = `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('LLEN', KEYS[3]) > 0 then return false end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('INCR', KEYS[2])`
// KEYS: holder, generation. Taking a passed baton holds it, unless its generation was superseded.
const CLAIM = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`
// KEYS: holder, generation, baton. Passing it on: the holder key says "being passed" until taken.
const PASS = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[3], ARGV[1] .. ':' .. ARGV[2])
redis.call('SET', KEYS[1], 'passing', 'PX', ARGV[3])
return 1`

/**
 * Append turns in Redis: a baton in a list. Waiting is `BLPOP`, which Redis serves in arrival
 * order, so instances take turns fairly; the baton carries the last position written. If its
 * holder dies, the holder key expires and the next waiter starts a new generation of the
 * baton (a late release of a superseded one is dropped). Two holders at once — after such a
 * restart, or while Redis is away and instances write without turns — only cost a lost race:
 * positions stay safe by the store's unique index.
 *
 * `redis` must fail fast while disconnected (`enableOfflineQueue: false`, a short
 * `commandTimeout`); `waiter` is a connection of its own, held by `BLPOP`.
 */
export function redisAppendTurns(redis: Redis, waiter: Redis, prefix: string): AppendTurns {
  const [holder, generation, baton] = [`${prefix}append:holder`, `${prefix}append:generation`, `${prefix}append:baton`]
  const id = randomBytes(6).toString('hex')
  const backOff = redisBackOff()

  function turn(held: string, lastPosition: number | undefined): AppendTurn {
    return {
      lastPosition,
      async release(last) {
        await redis
          .eval(PASS, 3, holder, generation, baton, held, last === undefined ? '' : String(last), HOLD_MS)
          .catch(() => undefined) // the turn is started again once the holder key expires
      },
    }
  }

  async function take(timeoutMs: number): Promise<AppendTurn | null> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const started = (await redis.eval(START, 3, holder, generation, baton, id, HOLD_MS)) as number | null
      if (started !== null) return turn(String(started), undefined)
      const remaining = deadline - Date.now()
      if (remaining <= 0) return null
      const reply = await waiter.blpop(baton, Math.max(0.01, Math.min(1, remaining / 1000)))
      if (!reply) continue
      const [passed = '', last = ''] = reply[1].split(':')
      if ((await redis.eval(CLAIM, 2, holder, generation, passed, id, HOLD_MS)) === 1) {
        return turn(passed, last === '' ? undefined : Number(last))
      }
    }
  }

  return {
    async take(timeoutMs) {
      // After a Redis error, instances write without turns for a while instead of waiting on Redis.
      if (!backOff.open()) return null
      try {
        return await take(timeoutMs)
      } catch {
        backOff.failed()
        return null
      }
    },
  }
}
