import { hostname } from 'node:os'
import { validate as isCronExpression } from 'node-cron'
import { isEmail, normalizeEmail } from '../shared/email.js'

/**
 * The service configuration: every variable of DESIGN §9 (plus CORS/proxy settings),
 * parsed and validated once at start. Nothing else in `src` reads `process.env`.
 */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test'
  port: number
  host: string
  mongodbUri: string | undefined
  /** Database named in MONGODB_URI's path, else `sales_orders`. */
  mongodbDatabase: string
  redisUri: string | undefined
  jwt: {
    secret: string | undefined
    publicKey: string | undefined
    issuer: string
    audience: string
    ttlSeconds: number
  }
  logLevel: LogLevel
  /** Port of the Prometheus listener (0: any free port), or `off`: no listener, no request metrics. */
  metricsPort: number | 'off'
  apiRateLimit: RateLimit
  loginRateLimit: RateLimit
  instanceId: string
  admin: { email: string; password: string } | undefined
  redisStream: string
  /** Entries the real-time stream keeps (`XADD … MAXLEN ~`): how far back clients can resume. */
  redisStreamMaxLength: number
  /** Prefix of every other Redis key the service writes (rate limits, login throttles, stream epoch, Socket.IO adapter, wake-ups). */
  redisKeyPrefix: string
  shutdownTimeoutMs: number
  /** Longest any request may take (routing to response); past it, 503 `SERVICE.UNAVAILABLE`. */
  requestTimeoutMs: number
  corsOrigins: string[]
  trustProxy: boolean | string
  /** node-cron schedules of the jobs, read in UTC (seconds field optional). */
  jobs: { reconcileCron: string; trimCron: string }
  /** Where unexpected errors are reported (a Sentry-compatible DSN); unset: error tracking off. */
  sentryDsn: string | undefined
  /** Where the embedded mode keeps its data (events, users, signing key), or `:memory:`: nothing kept. */
  dataDir: string
  /** Load the demo data set at start (into an empty store). */
  demo: boolean
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** "1000/1h" parsed: `max` requests per `windowMs`. */
export interface RateLimit {
  max: number
  windowMs: number
  text: string
}

/** A configuration value that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** Reads one variable: trimmed, with empty strings treated as unset. */
function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name)
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${value}")`)
  }
  return Number(value)
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name)
  if (value === undefined) return fallback
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${value}")`)
  }
  return value as T
}

function text(env: Env, name: string, fallback: string, pattern = /^\S+$/, hint = 'must not contain spaces'): string {
  const value = raw(env, name) ?? fallback
  if (!pattern.test(value)) throw new ConfigError(name, `${hint} (got "${value}")`)
  return value
}

/** "1000/1h", "100/15m", "5/s": a count over a window in s, m, h or d. */
function parseRateLimit(name: string, value: string): RateLimit {
  const match = /^(\d+)\/(\d*)([smhd])$/.exec(value)
  const max = Number(match?.[1])
  const multiplier = match?.[2] === '' ? 1 : Number(match?.[2])
  if (!match || max < 1 || multiplier < 1 || !Number.isSafeInteger(max)) {
    throw new ConfigError(name, `must look like "1000/1h": a positive count, "/", a window in s, m, h or d (got "${value}")`)
  }
  return { max, windowMs: multiplier * UNIT_MS[match[3] as keyof typeof UNIT_MS], text: value }
}

/** "3600", "90s", "15m", "1h", "7d" → seconds. */
function duration(env: Env, name: string, fallback: number): number {
  const value = raw(env, name)
  if (value === undefined) return fallback
  const match = /^(\d+)([smhd]?)$/.exec(value)
  const seconds = match ? Number(match[1]) * (match[2] ? UNIT_MS[match[2] as keyof typeof UNIT_MS] / 1000 : 1) : 0
  if (seconds < 1) throw new ConfigError(name, `must be a positive duration like 3600, 15m, 1h or 1d (got "${value}")`)
  return seconds
}

/** A node-cron expression: 5 fields, or 6 with seconds first. */
function cron(env: Env, name: string, fallback: string): string {
  const value = raw(env, name) ?? fallback
  if (!isCronExpression(value)) {
    throw new ConfigError(
      name,
      `must be a cron expression like "${fallback}" (5 fields, or 6 with seconds first; got "${value}")`,
    )
  }
  return value
}

function mongodbUri(env: Env): string | undefined {
  const value = raw(env, 'MONGODB_URI')
  if (value !== undefined && !/^mongodb(\+srv)?:\/\/[^/\s?]+(\/[^\s?]*)?(\?\S*)?$/.test(value)) {
    throw new ConfigError('MONGODB_URI', 'must be a MongoDB connection string like mongodb://host:27017/sales_orders')
  }
  return value
}

function mongodbDatabase(uri: string | undefined): string {
  const name = uri === undefined ? undefined : /^mongodb(?:\+srv)?:\/\/[^/?]+\/([^?]+)/.exec(uri)?.[1]
  if (name === undefined) return 'sales_orders'
  if (!/^[\w-]{1,63}$/.test(name)) throw new ConfigError('MONGODB_URI', `names an invalid database "${name}"`)
  return name
}

/** The value as a URL, or undefined when it is not one. */
function urlOf(value: string): URL | undefined {
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

function redisUri(env: Env): string | undefined {
  const value = raw(env, 'REDIS_URI')
  if (value === undefined) return undefined
  const url = urlOf(value)
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError('REDIS_URI', 'must be a Redis URL like redis://127.0.0.1:6379/0')
  }
  return value
}

/** A Sentry DSN: http(s)://<public key>@<host>[:port][/path]/<project id>, as Sentry and GlitchTip give them. */
function sentryDsn(env: Env): string | undefined {
  const value = raw(env, 'SENTRY_DSN')
  if (value === undefined) return undefined
  const url = urlOf(value)
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.username === '' || !/\/\d+$/.test(url.pathname)) {
    // (the value is not echoed: a DSN may carry a key)
    throw new ConfigError('SENTRY_DSN', 'must be a Sentry DSN like https://<public key>@<host>/<project id>')
  }
  return value
}

function admin(env: Env): Config['admin'] {
  const email = raw(env, 'ADMIN_EMAIL')
  const password = raw(env, 'ADMIN_PASSWORD')
  if (email === undefined && password === undefined) return undefined
  if (email === undefined || !isEmail(email)) {
    throw new ConfigError('ADMIN_EMAIL', 'must be an e-mail address when ADMIN_PASSWORD is set')
  }
  if (password === undefined || password.length < 12) {
    throw new ConfigError('ADMIN_PASSWORD', 'must be at least 12 characters when ADMIN_EMAIL is set')
  }
  return { email: normalizeEmail(email), password }
}

/** `DATA_DIR`: a directory path, or `:memory:` to keep nothing. */
export const IN_MEMORY = ':memory:'

function dataDir(env: Env): string {
  const value = raw(env, 'DATA_DIR') ?? './data'
  if (value !== IN_MEMORY && value.startsWith(':')) {
    throw new ConfigError('DATA_DIR', `must be a directory path or ${IN_MEMORY} (got "${value}")`)
  }
  return value
}

function flag(env: Env, name: string): boolean {
  const value = oneOf(env, name, ['0', '1', 'false', 'true'], 'false')
  return value === '1' || value === 'true'
}

function trustProxy(env: Env): boolean | string {
  const value = raw(env, 'TRUST_PROXY')
  if (value === undefined || value === 'false') return false
  if (value === 'true') return true
  if (!/^[\d.:/a-fA-F, ]+$/.test(value)) {
    throw new ConfigError('TRUST_PROXY', `must be true, false or a list of proxy addresses/CIDRs (got "${value}")`)
  }
  return value
}

/** Parses and validates the environment; throws a `ConfigError` naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'], 'development')
  const config: Config = {
    nodeEnv,
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: text(env, 'HOST', '127.0.0.1'),
    mongodbUri: mongodbUri(env),
    mongodbDatabase: mongodbDatabase(raw(env, 'MONGODB_URI')),
    redisUri: redisUri(env),
    jwt: {
      secret: raw(env, 'JWT_SECRET'),
      publicKey: raw(env, 'JWT_PUBLIC_KEY'),
      issuer: text(env, 'JWT_ISSUER', 'sales-order-service'),
      audience: text(env, 'JWT_AUDIENCE', 'sales-order-api'),
      ttlSeconds: duration(env, 'JWT_TTL', 3600),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    metricsPort: raw(env, 'METRICS_PORT') === 'off' ? 'off' : integer(env, 'METRICS_PORT', 9100, 0, 65_535),
    apiRateLimit: parseRateLimit('API_RATE_LIMIT', raw(env, 'API_RATE_LIMIT') ?? '1000/1h'),
    loginRateLimit: parseRateLimit('LOGIN_RATE_LIMIT', raw(env, 'LOGIN_RATE_LIMIT') ?? '10/1m'),
    instanceId: text(
      env,
      'INSTANCE_ID',
      hostname(),
      /^[\w.:-]{1,64}$/,
      'must be 1-64 characters of letters, digits, ".", ":", "_" or "-"',
    ),
    admin: admin(env),
    redisStream: text(
      env,
      'REDIS_STREAM',
      'sales:events',
      /^[\w:.-]{1,128}$/,
      'must be 1-128 characters of letters, digits, ":", ".", "_" or "-"',
    ),
    redisStreamMaxLength: integer(env, 'REDIS_STREAM_MAXLEN', 100_000, 100, 100_000_000),
    redisKeyPrefix: text(
      env,
      'REDIS_KEY_PREFIX',
      'sales:',
      /^[\w:.-]{1,64}$/,
      'must be 1-64 characters of letters, digits, ":", ".", "_" or "-"',
    ),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 5000, 100, 120_000),
    corsOrigins: (raw(env, 'CORS_ORIGINS') ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    trustProxy: trustProxy(env),
    // Reconcile once the hour is closed and its late commits have landed; trim away from it.
    jobs: { reconcileCron: cron(env, 'JOBS_RECONCILE_CRON', '5 * * * *'), trimCron: cron(env, 'JOBS_TRIM_CRON', '35 * * * *') },
    sentryDsn: sentryDsn(env),
    dataDir: dataDir(env),
    demo: flag(env, 'DEMO'),
  }
  if (nodeEnv === 'production') {
    for (const [name, value] of [
      ['MONGODB_URI', config.mongodbUri],
      ['REDIS_URI', config.redisUri],
      ['JWT_SECRET', config.jwt.secret],
    ] as const) {
      if (value === undefined)
        throw new ConfigError(
          name,
          'is required when NODE_ENV=production (the embedded mode is for a single process, not for production)',
        )
    }
  }
  return config
}
