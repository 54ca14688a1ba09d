import { MongoError, MongoErrorLabel } from 'mongodb'

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
  'MongoClientClosedError', // our client closed under an operation: shutting down
])

/**
 * MongoDB server answers that mean "not now" rather than "no": a primary stepping down or an
 * election under way, a node shutting down, a host it cannot reach (the driver's
 * retryable-read and -write codes). The driver retries once; when that fails too, a rolling
 * restart of a replica set is an outage to answer 503, not a bug to answer 500.
 */
const MONGODB_NOT_NOW_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
])

/** A MongoDB server error, by its code or the label the server gives retryable writes. */
function isNotNow(error: Error): boolean {
  return (
    error instanceof MongoError &&
    ((typeof error.code === 'number' && MONGODB_NOT_NOW_CODES.has(error.code)) ||
      error.hasErrorLabel(MongoErrorLabel.RetryableWriteError))
  )
}

/**
 * Socket errors a client library let through unwrapped: the MongoDB driver writing to a
 * connection the server had just closed throws Node's own `EPIPE` ("This socket has been
 * ended by the other party"), not a `MongoNetworkError` (seen when FerretDB was killed under
 * load). Which server it was is told by the library in the stack.
 */
const SOCKET_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'ENOTCONN'])

function socketErrorOf(error: Error): Dependency | undefined {
  const { code } = error as Error & { code?: unknown }
  if (typeof code !== 'string' || !SOCKET_ERROR_CODES.has(code)) return undefined
  const stack = error.stack ?? ''
  if (/[\\/]node_modules[\\/]mongodb[\\/]/.test(stack)) return 'mongodb'
  if (/[\\/]node_modules[\\/]ioredis[\\/]/.test(stack)) return 'redis'
  return undefined
}

/**
 * The error a MongoDB bulk write wrapped: a connection closed mid-batch comes back as a
 * `MongoBulkWriteError` whose message is the network error's and which keeps that error as
 * its `errorResponse`, not as its `cause` (seen when FerretDB was killed under load).
 */
function wrappedBy(error: Error): unknown {
  const { errorResponse } = error as Error & { errorResponse?: unknown }
  return errorResponse instanceof Error ? errorResponse : undefined
}

/** ioredis errors for a Redis that is down or hung (server replies are not outages). */
const REDIS_OUTAGES = [
  /^Command timed out$/,
  /^Connection is closed\.$/,
  /enableOfflineQueue options is false/,
  /^Reached the max retries per request limit/,
]

/**
 * Which dependency an error says is unreachable or stalled (looking through `cause`s and what
 * a bulk write wrapped), or
 * undefined for any other error — a bug, bad input, a refused write — which must not be
 * reported as an outage.
 */
export function unavailableDependency(error: unknown): Dependency | undefined {
  let current = error
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (MONGODB_OUTAGES.has(current.name) || isNotNow(current)) return 'mongodb'
    const { message } = current
    if (current.name === 'MaxRetriesPerRequestError' || REDIS_OUTAGES.some((pattern) => pattern.test(message))) return 'redis'
    const socket = socketErrorOf(current)
    if (socket !== undefined) return socket
    current = current.cause ?? wrappedBy(current)
  }
  return undefined
}
