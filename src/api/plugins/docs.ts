import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { SERVICE_VERSION } from '../../infra/version.js'
import { asyncApiDocument } from '../openapi/asyncapi.js'
import { LICENSE } from '../openapi/components.js'
import { completeDocument, describeRoute } from '../openapi/document.js'

const TAGS = [
  { name: 'auth', description: 'Access tokens (RS256 JWT) and the keys that verify them' },
  { name: 'users', description: 'User administration (admin)' },
  { name: 'skus', description: 'The catalogue: SKUs, their prices and tax rates' },
  { name: 'orders', description: 'Placing orders and their lifecycle: created → confirmed → shipped → delivered, or cancelled' },
  { name: 'reports', description: 'Revenue summaries per hour, day or month' },
  { name: 'admin', description: 'Read models (projections) and scheduled jobs (admin)' },
  { name: 'realtime', description: 'Live feeds: the WebSocket handshake (messages in the AsyncAPI document)' },
  { name: 'health', description: 'Liveness, readiness and the service index (no token)' },
]

/**
 * The OpenAPI document at `/docs/json` (Swagger UI at `/docs`), built from the routes'
 * TypeBox schemas and completed by `../openapi/document.ts`; the real-time feeds' messages
 * are an AsyncAPI 3 document at `/docs/asyncapi.json`.
 */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Sales Order Service',
          version: SERVICE_VERSION,
          description:
            'Event-sourced sales orders: commands, queries, reports and live feeds.\n\n' +
            'Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`. ' +
            'Every answer carries `X-Request-Id`. The real-time feeds (Socket.IO at `/socket.io`, the WebSocket at ' +
            '`/api/events/ws`) are described by the AsyncAPI document at `/docs/asyncapi.json`.',
          license: LICENSE,
        },
        // Relative: the API is served where this document is (the same origin and base path).
        servers: [{ url: '/', description: 'This instance' }],
        tags: TAGS,
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: 'A token from POST /api/auth/token: `Authorization: Bearer <access_token>`',
            },
            queryToken: {
              type: 'apiKey',
              in: 'query',
              name: 'token',
              description: 'The same token in the `token` query parameter (the WebSocket feed only)',
            },
          },
        },
        security: [{ bearer: [] }],
      },
      // Public routes (health, login, JWKS) say so, overriding the global bearer; the rest of
      // what each operation answers is derived from its route in completeDocument.
      transform: describeRoute,
      transformObject: (document) =>
        'openapiObject' in document ? completeDocument(document.openapiObject) : document.swaggerObject,
    })
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })

    const asyncApi = asyncApiDocument(SERVICE_VERSION)
    app.get('/docs/asyncapi.json', { schema: { hide: true } }, async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300')
      return asyncApi
    })
  },
  { name: 'docs' },
)
