import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import { Redis } from 'ioredis'
import type { TestProject } from 'vitest/node'
import { isCI } from './ci.js'
import { dropRedisKeys, testRunRedisPrefix } from './servers.js'

/**
 * Checks the integration servers once. Under CI=true a missing or unreachable server
 * fails the whole run; elsewhere the integration suites are skipped with this message.
 * Gives the run an id for its Redis keys, and deletes them when it ends: Redis outlives the
 * run (a shared one left 165 keys of earlier runs, event streams among them).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const problems: string[] = []
  const mongoUri = process.env.MONGODB_URI
  const redisUri = process.env.REDIS_URI
  const run = randomBytes(4).toString('hex')
  project.provide('redisRun', run)
  const teardown = async () => {
    if (redisUri) await dropRedisKeys(redisUri, testRunRedisPrefix(run)).catch(() => undefined)
  }

  if (!mongoUri) problems.push('MONGODB_URI is not set')
  else {
    const client = new MongoClient(mongoUri, { serverSelectionTimeoutMS: 3000 })
    try {
      await client.db('admin').command({ ping: 1 })
    } catch (error) {
      problems.push(`MongoDB at ${mongoUri} does not answer: ${(error as Error).message}`)
    } finally {
      await client.close()
    }
  }

  if (!redisUri) problems.push('REDIS_URI is not set')
  else {
    const redis = new Redis(redisUri, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
    try {
      await redis.connect()
      await redis.ping()
    } catch (error) {
      problems.push(`Redis at ${redisUri} does not answer: ${(error as Error).message}`)
    } finally {
      redis.disconnect()
    }
  }

  if (problems.length === 0) return teardown
  if (isCI) throw new Error(`CI=true and the integration servers are not usable: ${problems.join('; ')}`)
  console.warn(
    `\n[integration] suites needing a missing server are SKIPPED: ${problems.join('; ')}.\n` +
      '[integration] run `bash .ci/run` (starts FerretDB, checks Redis) or set MONGODB_URI and REDIS_URI.\n',
  )
  return teardown
}
