import {
  MongoBulkWriteError,
  MongoClientClosedError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoServerError,
} from 'mongodb'
import { describe, expect, it } from 'vitest'
import { unavailableDependency } from '../../src/infra/dependency-errors.js'

const serverError = (code: number, errorLabels: string[] = []) =>
  new MongoServerError({ ok: 0, code, errmsg: `server error ${code}`, errorLabels })

describe('unavailableDependency: an outage (503) or not (a bug, bad input, a refused write)', () => {
  it('a MongoDB that cannot be reached or does not answer is an outage', () => {
    expect(unavailableDependency(new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017'))).toBe('mongodb')
    expect(unavailableDependency(new MongoNetworkTimeoutError('connection 3 to 127.0.0.1:27017 timed out'))).toBe('mongodb')
  })

  it('an operation cut off by our own client closing (a shutdown) is answered like one: 503, retry elsewhere', () => {
    expect(unavailableDependency(new MongoClientClosedError())).toBe('mongodb')
  })

  it.each([
    [10107, 'NotWritablePrimary'],
    [189, 'PrimarySteppedDown'],
    [91, 'ShutdownInProgress'],
    [11600, 'InterruptedAtShutdown'],
    [11602, 'InterruptedDueToReplStateChange'],
    [13436, 'NotPrimaryOrSecondary'],
    [6, 'HostUnreachable'],
  ])('a server answering %i (%s) during a rolling restart or an election is an outage', (code) => {
    expect(unavailableDependency(serverError(code))).toBe('mongodb')
  })

  it('a server error labelled retryable by the server is an outage, whatever its code', () => {
    expect(unavailableDependency(serverError(64, ['RetryableWriteError']))).toBe('mongodb')
  })

  it.each([
    [11000, 'DuplicateKey: a race the store settles'],
    [2, 'BadValue'],
    [1, 'InternalError'],
    [50, 'MaxTimeMSExpired: a query of ours too slow, not an outage'],
  ])('a server answering %i (%s) is not an outage', (code) => {
    expect(unavailableDependency(serverError(code))).toBeUndefined()
  })

  it('a bulk write cut off by a closed connection is an outage (the driver wraps the network error)', () => {
    const cutOff = new MongoBulkWriteError(new MongoNetworkError('connection 1 to 127.0.0.1:39897 closed'), {} as never)
    expect(unavailableDependency(cutOff)).toBe('mongodb')
    const refused = new MongoBulkWriteError({ message: 'E11000 duplicate key error', code: 11000, writeErrors: [] }, {} as never)
    expect(unavailableDependency(refused)).toBeUndefined()
  })

  it('is found through causes, and a plain error with such a code is not mistaken for one', () => {
    expect(unavailableDependency(new Error('append failed', { cause: serverError(10107) }))).toBe('mongodb')
    expect(unavailableDependency(Object.assign(new Error('not from MongoDB'), { code: 10107 }))).toBeUndefined()
  })

  it("a socket error a client library let through unwrapped is its server's outage, told by the library in the stack", () => {
    // What the MongoDB driver threw writing to a connection FerretDB had just closed (CI, FerretDB killed under load).
    const socketError = (code: string, frame: string) =>
      Object.assign(new Error('This socket has been ended by the other party'), {
        code,
        stack: `Error: This socket has been ended by the other party\n    at Socket.writeAfterFIN [as write] (node:net:857:14)\n    at ${frame}`,
      })
    expect(
      unavailableDependency(
        socketError('EPIPE', 'Connection.writeCommand (/app/node_modules/mongodb/lib/cmap/connection.js:722:23)'),
      ),
    ).toBe('mongodb')
    expect(
      unavailableDependency(socketError('ECONNRESET', 'Socket.<anonymous> (/app/node_modules/ioredis/built/Redis.js:170:14)')),
    ).toBe('redis')
    expect(unavailableDependency(socketError('EPIPE', 'sendCsv (/app/dist/api/csv-export.js:40:9)'))).toBeUndefined()
    expect(
      unavailableDependency(
        socketError('ENOENT', 'Connection.writeCommand (/app/node_modules/mongodb/lib/cmap/connection.js:722:23)'),
      ),
    ).toBeUndefined()
  })

  it('a Redis that is down or hung is an outage; a reply it gives is not', () => {
    expect(unavailableDependency(new Error('Command timed out'))).toBe('redis')
    expect(unavailableDependency(new Error('Connection is closed.'))).toBe('redis')
    expect(unavailableDependency(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBeUndefined()
  })
})
