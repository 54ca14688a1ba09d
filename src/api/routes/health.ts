import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { problem, sendProblem } from '../problem.js'

const Health = Type.Object({ status: Type.Literal('ok') })
const Ready = Type.Object({ status: Type.Literal('ready'), checks: Type.Record(Type.String(), Type.Literal('ok')) })

/** Liveness (`/health`: the process answers) and readiness (`/health/ready`: dependencies usable). */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    { schema: { tags: ['health'], operationId: 'getHealth', summary: 'Liveness', response: { 200: Health } } },
    () => ({
      status: 'ok' as const,
    }),
  )

  const readiness = { tags: ['health'], operationId: 'getReadiness', summary: 'Readiness', response: { 200: Ready } }
  app.get('/health/ready', { schema: readiness }, async (request, reply) => {
    if (app.readiness.shuttingDown) {
      return sendProblem(reply, problem(request, 503, 'SERVICE.SHUTTING_DOWN', 'This instance is shutting down'))
    }
    const failures = await app.readiness.check()
    const failed = Object.keys(failures)
    if (failed.length > 0) {
      return sendProblem(
        reply,
        problem(request, 503, 'SERVICE.NOT_READY', `Not ready: ${failed.join(', ')} unavailable`, {
          errors: failed.map((name) => ({ path: name, message: failures[name] ?? 'failed' })),
        }),
      )
    }
    return { status: 'ready' as const, checks: Object.fromEntries(app.readiness.names().map((n) => [n, 'ok' as const])) }
  })
}

export default healthRoutes
