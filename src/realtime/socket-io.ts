import type { Server, Socket } from 'socket.io'
import type { VerifiedToken } from '../auth/abilities.js'
import type { LiveSessions } from '../auth/live-sessions.js'
import { type Dependency, unavailableDependency } from '../infra/dependency-errors.js'
import { AppError } from '../shared/errors.js'
import { assertMayFollowFeed, parseAfter, sessionEndEvent, socketEventsFor } from './feed-access.js'
import type { FeedHub } from './hub.js'

/** What a socket carries from its handshake to its connection. */
interface FeedSocketData {
  token: VerifiedToken
  after: number | undefined
}

/**
 * Socket.IO clients at `/socket.io`: the token comes from `auth.token` or the `token`
 * query (so `io(url, {query: {token}, transports: ['websocket']})` works), only admins and
 * auditors get in, `auth.after` (or query `after`) replays what was missed first. The
 * socket is closed when its token expires (`token_expired` first) or its account no
 * longer allows the token (`session_revoked`, with the problem code and a reason).
 * A handshake whose token check has not finished after `handshakeTimeoutMs` (the account
 * is read from a stalled MongoDB) is refused 503, as an HTTP request would be.
 * Returns a function that closes every connection so that clients reconnect (shutdown).
 */
export function attachSocketIo(
  io: Server,
  deps: {
    hub: FeedHub
    verifyToken(token: string | undefined): Promise<VerifiedToken>
    sessions: LiveSessions
    /** Counts what is sent (metrics). */
    observe?: { delivered(): void; resynced(): void }
    log: { warn(details: object, message: string): void }
    handshakeTimeoutMs: number
    /** A dependency known to be down, to name in a handshake refused for taking too long. */
    down(): Dependency | undefined
  },
): () => void {
  io.use((socket, next) => {
    const handshake = socket.handshake
    const auth = handshake.auth as { token?: unknown; after?: unknown }
    const token = stringOf(auth.token) ?? stringOf(handshake.query.token)
    let answered = false
    const answer = (error?: Error) => {
      if (answered) return
      answered = true
      clearTimeout(timer)
      next(error)
    }
    const timer = setTimeout(() => {
      answer(unavailable(deps.down()))
    }, deps.handshakeTimeoutMs)
    deps
      .verifyToken(token)
      .then((verified) => {
        assertMayFollowFeed(verified)
        const data: FeedSocketData = { token: verified, after: parseAfter(auth.after ?? handshake.query.after) }
        socket.data = data
        answer()
      })
      .catch((error: unknown) => {
        answer(refusal(error))
      })
  })

  io.on('connection', (socket: Socket) => {
    const { token: verified, after } = socket.data as FeedSocketData
    let leave: (() => void) | undefined
    let closed = false
    const endSession = deps.sessions.add({
      token: verified,
      end: (why) => {
        socket.emit(sessionEndEvent(why), why)
        socket.disconnect(true)
      },
    })
    socket.on('disconnect', () => {
      closed = true
      endSession()
      leave?.()
    })
    deps.hub
      .join(
        {
          deliver: (event) => {
            for (const name of socketEventsFor(event.type)) socket.emit(name, event)
            deps.observe?.delivered()
          },
          resync: (reason) => {
            socket.emit('resync', { reason })
            deps.observe?.resynced()
          },
        },
        after,
      )
      .then((remove) => {
        if (closed) remove()
        else leave = remove
      })
      .catch((error: unknown) => {
        deps.log.warn({ err: error }, 'real-time: replay for a socket failed')
        socket.emit('resync', { reason: 'the missed events could not be read; reload over HTTP' })
      })
  })

  return () => {
    // Close the transports (this instance's only) rather than disconnecting the sockets: a
    // client then sees "transport close" and reconnects by itself — to another instance
    // during a rolling deploy — resuming with `after`. A server-side disconnect
    // ("io server disconnect") would leave it disconnected for good.
    io.engine.close()
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

type Refusal = Error & { data?: unknown }

/** A `connect_error` the client can read: message, plus `data.code` and `data.status`. */
function refusal(error: unknown): Refusal {
  const outage = unavailableDependency(error)
  if (outage !== undefined) return unavailable(outage)
  const known = error instanceof AppError
  const refused: Refusal = new Error(known ? error.message : 'Cannot connect to the live feed')
  refused.data = known
    ? { code: error.code, status: error.kind === 'unauthenticated' ? 401 : error.kind === 'forbidden' ? 403 : 400 }
    : { code: 'INTERNAL', status: 500 }
  return refused
}

/** A dependency is down (or the handshake waited too long on one): 503, try again shortly. */
function unavailable(dependency: Dependency | undefined): Refusal {
  const refused: Refusal = new Error(
    dependency === undefined
      ? 'The live feed did not answer in time; retry shortly'
      : `${dependency} is unavailable; retry shortly`,
  )
  refused.data = { code: 'SERVICE.UNAVAILABLE', status: 503, ...(dependency === undefined ? {} : { dependency }) }
  return refused
}
