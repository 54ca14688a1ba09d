import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'

/** OpenAPI document built from the routes' TypeBox schemas, served with Swagger UI at `/docs`. */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Sales Order Service',
          version: '1.0.0',
          description:
            'Event-sourced sales orders: commands, queries, reports and live feeds. Errors are RFC 9457 problem details.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        security: [{ bearer: [] }],
      },
      // Routes that need no token (health, login, JWKS) say so, overriding the global bearer.
      transform: ({ schema, url, route }) => {
        const auth = (route.config as { auth?: unknown } | undefined)?.auth
        const isPublic = auth === undefined || auth === 'public'
        return { schema: isPublic ? { ...schema, security: [] } : schema, url }
      },
    })
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  },
  { name: 'docs' },
)
