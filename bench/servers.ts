import { execFileSync } from 'node:child_process'
import { Redis } from 'ioredis'
import { MongoClient } from 'mongodb'

/**
 * The MongoDB-wire server for benchmarks: MONGODB_URI if set, else a throw-away FerretDB
 * started through scripts/ferretdb.sh and stopped at the end.
 */
export function benchMongo(): { uri: string; pid?: number; pgDatabase?: string; stop(): void } {
  const given = process.env.MONGODB_URI
  if (given) {
    // A FerretDB started with scripts/ferretdb.sh exports these too: its CPU and queries can be measured.
    const { FERRETDB_PID, FERRETDB_PG_DB } = process.env
    return {
      uri: given,
      ...(FERRETDB_PID ? { pid: Number(FERRETDB_PID) } : {}),
      ...(FERRETDB_PG_DB ? { pgDatabase: FERRETDB_PG_DB } : {}),
      stop: () => undefined,
    }
  }
  const exports = execFileSync('bash', ['scripts/ferretdb.sh', 'start'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const vars: Record<string, string> = Object.fromEntries(
    [...exports.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
  )
  const uri = vars.MONGODB_URI
  if (!uri) throw new Error(`scripts/ferretdb.sh did not report a URI: ${exports}`)
  return {
    uri,
    ...(vars.FERRETDB_PID ? { pid: Number(vars.FERRETDB_PID) } : {}),
    ...(vars.FERRETDB_PG_DB ? { pgDatabase: vars.FERRETDB_PG_DB } : {}),
    stop: () => {
      execFileSync('bash', ['scripts/ferretdb.sh', 'stop'], { env: { ...process.env, ...vars }, stdio: 'inherit' })
    },
  }
}

export function redisForBench(): string {
  return process.env.REDIS_URI ?? 'redis://127.0.0.1:6379'
}

/**
 * Drops the database a bench made (`databaseUri` names it) on a server given by MONGODB_URI,
 * which outlives the bench (a FerretDB the bench started goes with all its data at `stop()`),
 * and the Redis keys of the instances that ran on it (`<database>:…`, their key prefix and
 * stream): Redis outlives every bench, and a cluster run left hundreds of MB there.
 */
export async function dropBenchDatabase(databaseUri: string): Promise<void> {
  if (process.env.MONGODB_URI) {
    const client = await new MongoClient(databaseUri).connect()
    try {
      await client.db().dropDatabase()
    } finally {
      await client.close()
    }
  }
  const database = new URL(databaseUri).pathname.slice(1)
  const redis = new Redis(redisForBench())
  try {
    for await (const keys of redis.scanStream({ match: `${database}:*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys)
    }
  } finally {
    redis.disconnect()
  }
}
