import { Redis } from 'ioredis'

/** Deletes every Redis key under `prefix` (a test's locks, done marks, streams): tests leave nothing behind. */
export async function dropRedisKeys(uri: string, prefix: string): Promise<void> {
  const redis = new Redis(uri)
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]))
    }
  } finally {
    redis.disconnect()
  }
}
