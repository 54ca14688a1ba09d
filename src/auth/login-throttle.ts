import type { Redis } from 'ioredis'

/** Fixed-window counters for login attempts, shared across instances through Redis when there is one. */
export interface LoginThrottle {
  /** Counts one attempt against each key; returns the largest wait if any key is over its limit. */
  hit(keys: readonly string[]): Promise<{ limited: boolean; retryAfterSeconds: number }>
}

const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`

/**
 * Login attempts per key (an e-mail, a client IP) within `windowMs`. One request counts
 * against several keys, which @fastify/rate-limit cannot do (it runs once per request).
 * If Redis fails, attempts are let through and `onError` is told: logins stay possible.
 */
export function createLoginThrottle(options: {
  max: number
  windowMs: number
  redis?: Redis
  prefix: string
  onError: (error: unknown) => void
}): LoginThrottle {
  const { max, windowMs, redis, prefix } = options
  const local = new Map<string, { count: number; resetAt: number }>()

  async function count(key: string): Promise<[number, number]> {
    if (redis) return (await redis.eval(INCREMENT, 1, `${prefix}${key}`, windowMs)) as [number, number]
    const now = Date.now()
    if (local.size > 100_000) for (const [k, v] of local) if (v.resetAt <= now) local.delete(k)
    const entry = local.get(key)
    const current = entry && entry.resetAt > now ? entry : { count: 0, resetAt: now + windowMs }
    current.count++
    local.set(key, current)
    return [current.count, current.resetAt - now]
  }

  return {
    async hit(keys) {
      let retryAfterSeconds = 0
      try {
        for (const [current, ttlMs] of await Promise.all(keys.map(count))) {
          if (current > max) retryAfterSeconds = Math.max(retryAfterSeconds, Math.ceil(ttlMs / 1000))
        }
      } catch (error) {
        options.onError(error)
        return { limited: false, retryAfterSeconds: 0 }
      }
      return { limited: retryAfterSeconds > 0, retryAfterSeconds }
    },
  }
}
