/** The servers a request can wait on. */
export type Dependency = 'mongodb' | 'redis'

/** MongoDB driver errors that mean "the server cannot be reached or did not answer in time". */
const MONGODB_OUTAGES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoOperationTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoPoolClosedError',
  'MongoWaitQueueTimeoutError',
  'MongoServerClosedError',
])

/** ioredis errors for a Redis that is down or hung (server replies are not outages). */
const REDIS_OUTAGES = [
  /^Command timed out$/,
  /^Connection is closed\.$/,
  /enableOfflineQueue options is false/,
  /^Reached the max retries per request limit/,
]

/**
 * Which dependency an error says is unreachable or stalled (looking through `cause`s), or
 * undefined for any other error — a bug, bad input, a refused write — which must not be
 * reported as an outage.
 */
export function unavailableDependency(error: unknown): Dependency | undefined {
  let current = error
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (MONGODB_OUTAGES.has(current.name)) return 'mongodb'
    const { message } = current
    if (current.name === 'MaxRetriesPerRequestError' || REDIS_OUTAGES.some((pattern) => pattern.test(message))) return 'redis'
    current = current.cause
  }
  return undefined
}
