import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { SERVICE_VERSION } from '../../infra/version.js'
import { operation } from '../operation.js'

const ServiceIndex = Type.Object({
  service: Type.Literal('sales-order-service'),
  version: Type.String(),
  docs: Type.Literal('/docs'),
  openapi: Type.Literal('/docs/json'),
  health: Type.Literal('/health'),
  token: Type.Literal('/api/auth/token'),
})

/** `GET /`: what the service is and where to go from here (a browser gets the dashboard instead: plugins/dashboard.ts). */
const homeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/',
    operation('getServiceIndex', 'public', {
      tags: ['health'],
      summary: 'The service, its version, and where its docs, health and login are',
      response: { 200: ServiceIndex },
    }),
    () => ({
      service: 'sales-order-service' as const,
      version: SERVICE_VERSION,
      docs: '/docs' as const,
      openapi: '/docs/json' as const,
      health: '/health' as const,
      token: '/api/auth/token' as const,
    }),
  )
}

export default homeRoutes
