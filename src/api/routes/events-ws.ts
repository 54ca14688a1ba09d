import type { FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import type { VerifiedToken } from '../../auth/abilities.js'
import { assertMayFollowFeed, parseAfter, sessionEndEvent } from '../../realtime/feed-access.js'
import { AppError } from '../../shared/errors.js'
import { Problem } from '../schemas.js'

const PING_EVERY_MS = 30_000

/** What the upgrade request carries to the socket handler. */
interface FeedRequest {
  token: VerifiedToken
  after: number | undefined
}

/**
 * `GET /api/events/ws?token=…&after=…`: the live feed over a plain WebSocket, one JSON
 * message per event (the same payload as Socket.IO), `{"type":"resync",…}` when the client
 * must reload. Refused before the upgrade (401/403 problem) like any API request. Pings
 * every 30 s; a client that does not answer is dropped. When the token expires or the
 * account no longer allows it, a `{"type":"token_expired"|"session_revoked","code","reason"}`
 * message, then close code 4001 (expired) or 4003 (revoked) with the problem code as reason.
 */
const eventsWebSocketRoute: FastifyPluginAsync = async (app) => {
  const { hub } = app.realtime

  app.route({
    method: 'GET',
    url: '/api/events/ws',
    config: {
      auth: 'public', // the token is in the query (browsers cannot set headers on a WebSocket)
      doc: {
        tokenInQuery: true,
        description:
          'Open with a WebSocket client (`new WebSocket(url)`): then one JSON message per event, `{"type":"resync",…}` when a reload is needed, `{"type":"token_expired"|"session_revoked",…}` before the server closes (4001, 4003). The messages are described by the AsyncAPI document at `/docs/asyncapi.json`. A plain GET is answered 426.',
        problems: {
          401: 'No token, or an invalid, expired or revoked one (`AUTH.*`), before the upgrade',
          403: 'Only admins and auditors may follow the feed (`AUTH.FORBIDDEN`)',
          426: 'A plain GET: open it with an Upgrade request (`REQUEST.UPGRADE_REQUIRED`)',
        },
      },
    },
    schema: {
      operationId: 'eventsWebSocket',
      tags: ['realtime'],
      summary: 'The live feed over a WebSocket (admin, auditor)',
      querystring: Type.Object(
        {
          token: Type.Optional(Type.String({ maxLength: 8192, description: 'the access token' })),
          after: Type.Optional(
            Type.Integer({ minimum: 0, description: 'the last `position` received: what came after it is sent first' }),
          ),
        },
        { additionalProperties: false },
      ),
      response: {
        101: Type.Null({ description: 'Switching Protocols: the feed follows, one JSON message per event' }),
        426: Problem,
      },
    },
    preValidation: async (request) => {
      const { token, after } = request.query as { token?: string; after?: number }
      const verified = await app.verifyToken(token)
      assertMayFollowFeed(verified)
      request.principal = { sub: verified.sub, role: verified.role }
      ;(request as unknown as { feed: FeedRequest }).feed = { token: verified, after: parseAfter(after) }
    },
    // A plain GET (no upgrade) with a good token: say what is needed instead of a bare 404.
    handler: async (_request, reply) => {
      void reply.header('upgrade', 'websocket')
      throw new AppError(
        'upgrade_required',
        'REQUEST.UPGRADE_REQUIRED',
        'This is a WebSocket endpoint: open it with an Upgrade request',
      )
    },
    wsHandler: (socket, request) => {
      const { token, after } = (request as unknown as { feed: FeedRequest }).feed
      let alive = true
      let closed = false
      let leave: (() => void) | undefined
      const send = (message: object) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message))
      }
      const pinger = setInterval(() => {
        if (!alive) socket.terminate()
        alive = false
        socket.ping()
      }, PING_EVERY_MS)
      const endSession = app.liveSessions.add({
        token,
        end: (why) => {
          const type = sessionEndEvent(why)
          send({ type, ...why })
          socket.close(type === 'token_expired' ? 4001 : 4003, why.code)
        },
      })
      socket.on('pong', () => {
        alive = true
      })
      socket.on('close', () => {
        closed = true
        clearInterval(pinger)
        endSession()
        leave?.()
      })
      hub
        .join(
          {
            deliver: (event) => {
              send(event)
              app.metrics.realtimeDelivered.inc({ transport: 'websocket' })
            },
            resync: (reason) => {
              send({ type: 'resync', reason })
              app.metrics.realtimeResyncs.inc()
            },
          },
          after,
        )
        .then((remove) => {
          if (closed) remove()
          else leave = remove
        })
        .catch((error: unknown) => {
          request.log.warn({ err: error }, 'real-time: replay for a WebSocket failed')
          send({ type: 'resync', reason: 'the missed events could not be read; reload over HTTP' })
        })
    },
  })

  // (At shutdown the websocket plugin closes every socket with 1001 Going Away.)
}

export default eventsWebSocketRoute
