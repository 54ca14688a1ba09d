import { EVENT_SCHEMAS } from '../../events/catalog.js'
import { LICENSE, plain } from './components.js'
import { ORDER_EXAMPLE } from './examples.js'

/**
 * The live feeds as an AsyncAPI 3 document (served at `/docs/asyncapi.json`): Socket.IO's
 * named events and the plain WebSocket's messages, with their payload schemas drawn from the
 * event catalogue. OpenAPI has no notion of messages pushed over a socket; AsyncAPI does,
 * and tools generate subscribers from it as they generate HTTP clients from OpenAPI.
 */

const Metadata = {
  type: 'object',
  required: ['timestamp', 'source', 'actor', 'correlation_id'],
  properties: {
    timestamp: { type: 'string', description: 'ISO-8601 time the store accepted the commit' },
    source: { type: 'string', description: 'INSTANCE_ID of the writer' },
    actor: { type: 'string', description: 'the user who caused the event' },
    correlation_id: { type: 'string', description: 'the X-Request-Id of the request that caused it' },
    causation_id: { type: 'string' },
  },
}

/** One stored event as clients receive it, `data` per `type` (DESIGN §7). */
const eventOf = (types: string[]) => ({
  oneOf: types.map((type) => ({
    type: 'object',
    required: ['event_id', 'type', 'data', 'metadata', 'position'],
    properties: {
      event_id: { type: 'string', description: '`evt_` and a ULID' },
      type: { const: type },
      data: plain(EVENT_SCHEMAS[type as keyof typeof EVENT_SCHEMAS]),
      metadata: { $ref: '#/components/schemas/Metadata' },
      position: {
        type: 'integer',
        minimum: 1,
        description: 'the global position: keep the last one and resume with `after` on reconnecting',
      },
    },
  })),
})

const TYPES = Object.keys(EVENT_SCHEMAS)
const ORDER_TYPES = TYPES.filter((type) => type.startsWith('order.'))
const SKU_TYPES = TYPES.filter((type) => type.startsWith('sku.'))

const Resync = {
  type: 'object',
  required: ['reason'],
  properties: { reason: { type: 'string', description: 'why: what was missed is no longer kept' } },
}
const SessionEnd = {
  type: 'object',
  required: ['code', 'reason'],
  properties: {
    code: { type: 'string', description: '`AUTH.TOKEN_EXPIRED`, `AUTH.USER_DISABLED`, `AUTH.TOKEN_REVOKED`…' },
    reason: { type: 'string' },
  },
}
/** On the plain WebSocket, control messages carry their name in `type` next to their fields. */
const typed = (name: string, schema: { required: string[]; properties: object }) => ({
  type: 'object',
  required: ['type', ...schema.required],
  properties: { type: { const: name }, ...schema.properties },
})

const NEW_ORDER_EXAMPLE = {
  event_id: 'evt_01KB1V3M4Y8Q2C7ZJ5R6N9T0XW',
  type: 'order.created',
  data: (({ status: _s, version: _v, position: _p, created_at: _c, updated_at: _u, ...data }) => data)(ORDER_EXAMPLE),
  metadata: { timestamp: ORDER_EXAMPLE.created_at, source: 'api-1', actor: 'rep@corp.example', correlation_id: 'req-7f3a' },
  position: 1207,
}

const message = (name: string, summary: string, payload: object, examples?: object[]) => ({
  name,
  summary,
  payload,
  ...(examples ? { examples: examples.map((example) => ({ payload: example })) } : {}),
})

/** A channel's messages, by their name on the channel → their component. */
const messageRefs = (names: Record<string, string>) =>
  Object.fromEntries(Object.entries(names).map(([name, component]) => [name, { $ref: `#/components/messages/${component}` }]))

/** The `ws` binding: the handshake's query parameters. */
const wsQuery = (properties: object, rules: object) => ({ ws: { query: { type: 'object', ...rules, properties } } })

const AFTER = 'the last `position` received: what came after it is sent first, in order, then live events'

export function asyncApiDocument(version: string) {
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Sales Order Service: live feeds',
      version,
      description:
        'Every event of the store, live, to admins and auditors on any instance, in position order, each once. ' +
        'Two transports with the same payloads: Socket.IO 4 (named events) and a plain WebSocket (one JSON message per event). ' +
        'Sign in with POST /api/auth/token (see the OpenAPI document at /docs/json).',
      // AsyncAPI 3 licences have a name and a url only (no SPDX identifier).
      license: { name: LICENSE.name },
    },
    defaultContentType: 'application/json',
    servers: {
      socketIo: {
        host: '{host}',
        pathname: '/socket.io',
        protocol: 'ws',
        description:
          'Socket.IO 4 (`io(url, { transports: ["websocket"], auth: { token, after } })`; `query: { token, after }` works too). ' +
          'A connection without a valid admin or auditor token is refused with `connect_error` (`err.data = { code, status }`: 401 or 403); while a store is down or stalled, with 503 `SERVICE.UNAVAILABLE` (at the latest after `REQUEST_TIMEOUT_MS`): connect again shortly.',
        variables: { host: { default: '127.0.0.1:3000', description: 'host and port of the HTTP API' } },
        security: [{ $ref: '#/components/securitySchemes/token' }],
      },
      webSocket: {
        host: '{host}',
        pathname: '/api/events/ws',
        protocol: 'ws',
        description:
          'A plain WebSocket (GET /api/events/ws in the OpenAPI document): refused before the upgrade with a 401/403 problem; pinged every 30 s; closed with 1001 at shutdown, 4001 when the token expires, 4003 when it is revoked (the reason is the problem code).',
        variables: { host: { default: '127.0.0.1:3000', description: 'host and port of the HTTP API' } },
        security: [{ $ref: '#/components/securitySchemes/token' }],
      },
    },
    channels: {
      socketIoFeed: {
        address: '/',
        title: 'Socket.IO default namespace',
        servers: [{ $ref: '#/servers/socketIo' }],
        messages: messageRefs({
          new_order: 'new_order',
          order_event: 'order_event',
          sku_event: 'sku_event',
          resync: 'resync',
          token_expired: 'token_expired',
          session_revoked: 'session_revoked',
        }),
        bindings: wsQuery(
          {
            token: { type: 'string', description: 'the access token (or `auth.token` in the handshake)' },
            after: { type: 'integer', minimum: 0, description: `${AFTER} (or \`auth.after\`)` },
          },
          {},
        ),
      },
      webSocketFeed: {
        address: '/api/events/ws',
        title: 'WebSocket feed',
        servers: [{ $ref: '#/servers/webSocket' }],
        messages: messageRefs({
          event: 'ws_event',
          resync: 'ws_resync',
          token_expired: 'ws_token_expired',
          session_revoked: 'ws_session_revoked',
        }),
        bindings: wsQuery(
          {
            token: { type: 'string', maxLength: 8192, description: 'the access token' },
            after: { type: 'integer', minimum: 0, description: AFTER },
          },
          { required: ['token'], additionalProperties: false },
        ),
      },
    },
    operations: {
      receiveSocketIoEvents: {
        action: 'receive',
        title: 'Follow the feed over Socket.IO',
        channel: { $ref: '#/channels/socketIoFeed' },
      },
      receiveWebSocketMessages: {
        action: 'receive',
        title: 'Follow the feed over a WebSocket',
        channel: { $ref: '#/channels/webSocketFeed' },
      },
    },
    components: {
      securitySchemes: {
        token: {
          type: 'httpApiKey',
          in: 'query',
          name: 'token',
          description:
            'An access token of an admin or auditor (POST /api/auth/token). Socket.IO also takes it as `auth.token` in the handshake.',
        },
      },
      schemas: {
        Metadata,
        Event: eventOf(TYPES),
        OrderEvent: eventOf(ORDER_TYPES),
        SkuEvent: eventOf(SKU_TYPES),
        NewOrderEvent: eventOf(['order.created']),
        Resync,
        SessionEnd,
      },
      messages: {
        new_order: message(
          'new_order',
          'Every order.created (also sent as order_event)',
          {
            $ref: '#/components/schemas/NewOrderEvent',
          },
          [NEW_ORDER_EXAMPLE],
        ),
        order_event: message('order_event', 'Every order.* event', { $ref: '#/components/schemas/OrderEvent' }),
        sku_event: message('sku_event', 'Every sku.* event', { $ref: '#/components/schemas/SkuEvent' }),
        resync: message('resync', 'What was missed is gone: reload over HTTP', { $ref: '#/components/schemas/Resync' }),
        token_expired: message('token_expired', 'Sent just before the server disconnects at the token’s expiry', {
          $ref: '#/components/schemas/SessionEnd',
        }),
        session_revoked: message('session_revoked', 'The account was disabled or changed: sign in again', {
          $ref: '#/components/schemas/SessionEnd',
        }),
        ws_event: message('event', 'One stored event per message', { $ref: '#/components/schemas/Event' }, [NEW_ORDER_EXAMPLE]),
        ws_resync: message('resync', 'What was missed is gone: reload over HTTP', typed('resync', Resync)),
        ws_token_expired: message(
          'token_expired',
          'The token expired; the socket closes with 4001',
          typed('token_expired', SessionEnd),
        ),
        ws_session_revoked: message(
          'session_revoked',
          'The account was disabled or changed; the socket closes with 4003',
          typed('session_revoked', SessionEnd),
        ),
      },
    },
  }
}
