import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { type Db, MongoClient } from 'mongodb'
import { inject } from 'vitest'
import { isCI } from './ci.js'

/**
 * Real servers for integration tests. `MONGODB_URI` / `REDIS_URI` point at them
 * (`.ci/run` starts FerretDB and checks Redis). Without them the integration suites are
 * skipped with a message, except under `CI=true`, where global setup fails the run.
 */
export const mongoUri = process.env.MONGODB_URI
export const redisUri = process.env.REDIS_URI

/**
 * The only skip conditions integration suites use: true only outside CI. Under CI=true
 * they are always false, so a missing server makes the suite fail, never skip.
 */
export const skipWithoutMongo = !isCI && !mongoUri
export const skipWithoutServers = !isCI && (!mongoUri || !redisUri)
export const skipWithoutRedis = !isCI && !redisUri

/** Each test file gets its own database; this prefix marks it as disposable. */
const TEST_DB_PREFIX = 'test_'

export interface TestDatabase {
  client: MongoClient
  db: Db
  uri: string
  drop(): Promise<void>
}

/** A fresh, uniquely named test database on the MongoDB-wire test server. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  if (!mongoUri) throw new Error('MONGODB_URI is not set')
  const name = `${TEST_DB_PREFIX}${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`
  const uri = withDatabase(mongoUri, name)
  const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 5000 }).connect()
  const db = client.db()
  return {
    client,
    db,
    uri,
    async drop() {
      if (!db.databaseName.startsWith(TEST_DB_PREFIX)) {
        throw new Error(`refusing to drop ${db.databaseName}: not a test database`)
      }
      await db.dropDatabase()
      await client.close()
    },
  }
}

/** The URI with its database path replaced by `name` (options kept). */
export function withDatabase(uri: string, name: string): string {
  const { hosts, options } = parseMongoUri(uri)
  return `${hosts}/${name}${options}`
}

/**
 * Throws unless the database `uri` names is a test one (`test_…`, as `createTestDatabase`
 * makes): what tests launch or build must never reach a developer's or a shared database.
 * A URI of another scheme reaches no MongoDB at all (the service refuses it itself).
 */
export function assertTestDatabase(uri: string, purpose: string): void {
  if (!/^mongodb(\+srv)?:/i.test(uri)) return
  const { database } = parseMongoUri(uri)
  if (!database.startsWith(TEST_DB_PREFIX)) {
    throw new Error(
      `refusing ${purpose} with MONGODB_URI database "${database}": not a test database ` +
        `(its name must start with "${TEST_DB_PREFIX}"; use createTestDatabase)`,
    )
  }
}

/** The one parser of MongoDB URIs in the tests: `mongodb://hosts/database?options`. */
function parseMongoUri(uri: string): { hosts: string; database: string; options: string } {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/([^?]*))?(\?.*)?$/.exec(uri)
  if (!match?.[1]) throw new Error(`not a MongoDB URI: ${uri}`)
  return { hosts: match[1], database: decodeURIComponent(match[2] ?? ''), options: match[3] ?? '' }
}

/**
 * Redis keys and an event stream of their own for one test's service processes (`name` only
 * labels them), under this test run's prefix (`test:<run>:`), whose keys global setup deletes
 * when the run ends.
 */
export function redisNamespace(name: string): { REDIS_KEY_PREFIX: string; REDIS_STREAM: string } {
  const prefix = `${testRunRedisPrefix(inject('redisRun'))}${name}:${randomBytes(4).toString('hex')}:`
  return { REDIS_KEY_PREFIX: prefix, REDIS_STREAM: `${prefix}events` }
}

/** The prefix of every Redis key one test run makes. */
export const testRunRedisPrefix = (run: string): string => `test:${run}:`

/** Deletes every Redis key under `prefix` (global setup's teardown, for its run's prefix). */
export async function dropRedisKeys(uri: string, prefix: string): Promise<void> {
  const redis = new Redis(uri)
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys)
    }
  } finally {
    redis.disconnect()
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** This test run's id, which every Redis key it makes carries (see `redisNamespace`). */
    redisRun: string
  }
}
