import type { Redis } from 'ioredis'
import { redisBackOff } from '../infra/redis-back-off.js'

/** Which budget of failed logins a refused attempt exhausted. */
export type LoginLimitScope = 'email_ip' | 'ip' | 'email'

export interface LoginLimit {
  scope: LoginLimitScope
  max: number
  windowMs: number
}

export type LoginCheck = { limited: false } | { limited: true; limit: LoginLimit; retryAfterSeconds: number }

/** Failed-login counters, shared across instances through Redis when there is one. */
export interface LoginThrottle {
  /** Whether an attempt from `ip` for `email` may be tried now. */
  check(email: string, ip: string): Promise<LoginCheck>
  /** Counts a wrong password (or unknown/disabled account) against every budget. */
  failed(email: string, ip: string): Promise<void>
  /** A right password: that (e-mail, IP) pair starts again from zero. */
  succeeded(email: string, ip: string): Promise<void>
}

/** Per IP, across e-mails (credential stuffing), as a multiple of the per-pair budget. */
const IP_FACTOR = 5
/**
 * Per account, across IPs (a distributed guess), as a multiple of the per-pair budget: far
 * above what one IP can add (its pair budget), so one IP alone can never lock out another.
 */
const ACCOUNT_FACTOR = 20

const READ = `
local out = {}
for _, key in ipairs(KEYS) do
  out[#out + 1] = tonumber(redis.call('GET', key) or '0')
  out[#out + 1] = redis.call('PTTL', key)
end
return out`

const INCREMENT = `
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return 0`

/**
 * Password guessing is stopped by counting **failures**, not attempts, in fixed windows of
 * `windowMs`: at most `max` per (e-mail, client IP), `5 × max` per IP and `20 × max` per
 * e-mail. A right password resets its pair. A user who mistyped a few times, or whose
 * address is guessed from elsewhere, can still sign in; an attacker on one IP is held to
 * `max` guesses per account per window.
 *
 * The counters are shared through Redis when there is one. While Redis does not answer
 * (`redisDown()` says so, or a command just failed: then it is left alone for
 * `REDIS_BACK_OFF_MS`), each instance counts on its own, from zero: logins stay possible and
 * fast, and guessing stays limited — to `max` per window on each instance instead of
 * unlimited. `onUnavailable` is told when the throttle falls back (once per outage),
 * `onRecovered` when Redis answers again.
 */
export function createLoginThrottle(options: {
  max: number
  windowMs: number
  redis?: Redis
  prefix: string
  redisDown?: () => boolean
  onUnavailable: (error: unknown) => void
  onRecovered: () => void
}): LoginThrottle {
  const { max, windowMs, redis, prefix } = options
  const limits: LoginLimit[] = [
    { scope: 'email_ip', max, windowMs },
    { scope: 'ip', max: max * IP_FACTOR, windowMs },
    { scope: 'email', max: max * ACCOUNT_FACTOR, windowMs },
  ]
  const keysOf = (email: string, ip: string) => [`pair:${email}|${ip}`, `ip:${ip}`, `email:${email}`].map((k) => prefix + k)
  const local = localCounters(windowMs)
  const shared = redis ? redisCounters(redis, windowMs) : undefined
  const backOff = redisBackOff()
  let onLocal = false

  async function counted<T>(use: (counters: Counters) => Promise<T>): Promise<T> {
    if (!shared || !backOff.open() || options.redisDown?.()) return use(local)
    try {
      const result = await use(shared)
      if (onLocal) {
        onLocal = false
        options.onRecovered()
      }
      return result
    } catch (error) {
      backOff.failed()
      if (!onLocal) {
        onLocal = true
        options.onUnavailable(error)
      }
      return use(local)
    }
  }

  return {
    check: (email, ip) =>
      counted(async (counters): Promise<LoginCheck> => {
        const counts = await counters.read(keysOf(email, ip))
        let refusal: LoginCheck = { limited: false }
        counts.forEach(([count, ttlMs], i) => {
          const limit = limits[i] as LoginLimit
          const retryAfterSeconds = Math.max(1, Math.ceil(ttlMs / 1000))
          if (count >= limit.max && (!refusal.limited || retryAfterSeconds > refusal.retryAfterSeconds)) {
            refusal = { limited: true, limit, retryAfterSeconds }
          }
        })
        return refusal
      }),
    failed: (email, ip) => counted((counters) => counters.increment(keysOf(email, ip))),
    succeeded: (email, ip) => counted((counters) => counters.remove(keysOf(email, ip)[0] as string)),
  }
}

interface Counters {
  /** [count, milliseconds until the window ends] per key. */
  read(keys: string[]): Promise<[number, number][]>
  increment(keys: string[]): Promise<void>
  remove(key: string): Promise<void>
}

function redisCounters(redis: Redis, windowMs: number): Counters {
  return {
    async read(keys) {
      const flat = (await redis.eval(READ, keys.length, ...keys)) as number[]
      return keys.map((_, i) => [flat[2 * i] ?? 0, flat[2 * i + 1] ?? 0])
    },
    async increment(keys) {
      await redis.eval(INCREMENT, keys.length, ...keys, windowMs)
    },
    async remove(key) {
      await redis.del(key)
    },
  }
}

function localCounters(windowMs: number): Counters {
  const windows = new Map<string, { count: number; resetAt: number }>()
  const current = (key: string, now: number) => {
    const window = windows.get(key)
    return window && window.resetAt > now ? window : undefined
  }
  return {
    read(keys) {
      const now = Date.now()
      return Promise.resolve(
        keys.map((key): [number, number] => {
          const window = current(key, now)
          return window ? [window.count, window.resetAt - now] : [0, 0]
        }),
      )
    },
    increment(keys) {
      const now = Date.now()
      if (windows.size > 100_000) for (const [key, window] of windows) if (window.resetAt <= now) windows.delete(key)
      for (const key of keys) {
        const window = current(key, now) ?? { count: 0, resetAt: now + windowMs }
        window.count++
        windows.set(key, window)
      }
      return Promise.resolve()
    },
    remove(key) {
      windows.delete(key)
      return Promise.resolve()
    },
  }
}
