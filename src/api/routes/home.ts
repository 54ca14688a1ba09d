import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { SERVICE_VERSION } from '../../infra/version.js'
import { operation } from '../operation.js'
import { wantsHtml } from '../plugins/dashboard.js'

const ServiceIndex = Type.Object({
  service: Type.Literal('sales-order-service'),
  version: Type.String(),
  docs: Type.Literal('/docs'),
  openapi: Type.Literal('/docs/json'),
  health: Type.Literal('/health'),
  token: Type.Literal('/api/auth/token'),
})

/**
 * `GET /`: what the service is and where to go from here — or, for a browser (HTML preferred to
 * JSON), the dashboard's page (plugins/dashboard.ts), under the same hooks and query rules.
 */
const homeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/',
    operation('getServiceIndex', 'public', {
      tags: ['health'],
      summary: 'The service, its version, and where its docs, health and login are',
      response: { 200: ServiceIndex },
    }),
    async (request, reply) => {
      void reply.header('vary', 'accept')
      if (app.dashboardPage !== null && wantsHtml(request)) {
        // HTML, not the JSON the schema types: a string with its own content type is sent as it is.
        return reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-cache')
          .send(app.dashboardPage as never)
      }
      return {
        service: 'sales-order-service' as const,
        version: SERVICE_VERSION,
        docs: '/docs' as const,
        openapi: '/docs/json' as const,
        health: '/health' as const,
        token: '/api/auth/token' as const,
      }
    },
  )
}

export default homeRoutes
