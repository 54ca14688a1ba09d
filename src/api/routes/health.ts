import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { operation } from '../operation.js'
import { problem, sendProblem } from '../problem.js'
import { Problem } from '../schemas.js'

const Health = Type.Object({ status: Type.Literal('ok') })
const CheckState = Type.Union([Type.Literal('ok'), Type.Literal('down')])
const Ready = Type.Object({
  status: Type.Literal('ready'),
  checks: Type.Record(Type.String(), CheckState),
  degraded: Type.Array(Type.String(), { description: 'dependencies down that the API can serve without (e.g. redis)' }),
})

/**
 * Liveness (`/health`: the process answers) and readiness (`/health/ready`: route traffic
 * here). Readiness answers at once from checks run every second in the background: 503
 * while shutting down or while MongoDB is unreachable; 200 with `degraded: ["redis"]` while
 * only Redis is (the API keeps serving).
 */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    operation('getHealth', 'public', { tags: ['health'], summary: 'Liveness', response: { 200: Health } }),
    () => ({
      status: 'ok' as const,
    }),
  )

  const readiness = operation(
    'getReadiness',
    'public',
    { tags: ['health'], summary: 'Readiness', response: { 200: Ready, 503: Problem } },
    {
      problems: {
        503: 'Not ready: MongoDB is unreachable (`SERVICE.NOT_READY`, with `checks`), or shutting down (`SERVICE.SHUTTING_DOWN`)',
      },
    },
  )
  app.get('/health/ready', readiness, async (request, reply) => {
    if (app.readiness.shuttingDown) {
      return sendProblem(reply, problem(request, 503, 'SERVICE.SHUTTING_DOWN', 'This instance is shutting down'))
    }
    const { ready, checks, degraded } = app.readiness.status()
    if (!ready) {
      const failed = Object.entries(checks).filter(([, state]) => state === 'down')
      return sendProblem(
        reply,
        problem(request, 503, 'SERVICE.NOT_READY', `Not ready: ${failed.map(([name]) => name).join(', ')} unavailable`, {
          errors: failed.map(([name]) => ({ path: name, message: 'does not answer' })),
          checks,
        }),
      )
    }
    return { status: 'ready' as const, checks, degraded }
  })
}

export default healthRoutes
