import type { Redis } from 'ioredis'
import { redisBackOff } from './redis-back-off.js'
import { type Sequences, coalescingSequences } from './sequence.js'

// KEYS: counter. INCRBY, or false while the counter does not exist (new, or Redis lost it).
const NEXT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])`
// KEYS: counter. Raises it to at least ARGV[1] (creates it, when missing, at ARGV[1]).
const RAISE = `
local current = redis.call('GET', KEYS[1])
if not current or tonumber(current) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`

/**
 * Counters in Redis (`INCRBY`: atomic, a fraction of a millisecond), for instances sharing a
 * store on which a counter is not atomic (FerretDB's `$inc` can hand a number out twice, and
 * every such number costs a failed claim). Redis may lose a counter (a restart without
 * persistence, a restored snapshot): a missing counter starts from `floor()` — an upper bound
 * of every number in use (for order numbers, `orderNumberFloor`: the highest in the event
 * store), so numbers go on from there instead of colliding — and a number found taken raises
 * it above that floor too. `fallback` serves while Redis does not answer (then for
 * `REDIS_BACK_OFF_MS` without waiting on it again), raised to the floor once when it takes
 * over: it was not counting while Redis was.
 */
export function redisSequences(redis: Redis, prefix: string, floor: () => Promise<number>, fallback: Sequences): Sequences {
  const key = (name: string) => `${prefix}sequence:${name}`
  const raise = async (name: string, value: number) => {
    await redis.eval(RAISE, 1, key(name), Math.max(value, await floor()))
  }
  const sequences = coalescingSequences(async (name, count) => {
    const next = (await redis.eval(NEXT, 1, key(name), count)) as number | null
    if (next !== null) return next
    await raise(name, 0)
    const started = (await redis.eval(NEXT, 1, key(name), count)) as number | null
    if (started === null) throw new Error(`the Redis counter ${key(name)} vanished`)
    return started
  }, raise)
  const backOff = redisBackOff()
  /** Counters the fallback was raised to the floor for since Redis last answered: once per outage, not per number. */
  const raised = new Set<string>()
  return {
    async next(name) {
      if (backOff.open()) {
        try {
          const next = await sequences.next(name)
          raised.delete(name)
          return next
        } catch {
          backOff.failed()
        }
      }
      if (!raised.has(name)) {
        await fallback.atLeast(name, await floor())
        raised.add(name)
      }
      return fallback.next(name)
    },
    async atLeast(name, value) {
      const inRedis = backOff.open()
        ? sequences.atLeast(name, value).catch(() => {
            backOff.failed()
          })
        : undefined
      await Promise.all([inRedis, fallback.atLeast(name, value)])
    },
  }
}
