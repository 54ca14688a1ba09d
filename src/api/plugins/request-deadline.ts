import type { FastifyBaseLogger } from 'fastify'
import fp from 'fastify-plugin'
import { unavailableDependency } from '../../infra/dependency-errors.js'
import { unavailableProblem } from '../problem.js'

/**
 * No request waits without bound (DESIGN §9): one still unanswered `REQUEST_TIMEOUT_MS`
 * after it arrived — a stalled MongoDB or Redis — is answered 503 `SERVICE.UNAVAILABLE` with
 * `Retry-After`, naming the dependency known to be down. The reply is then taken over
 * (hijacked), so the handler still running is left to finish or fail on its own without
 * answering twice or logging for every request. (Fastify's `handlerTimeout` cannot serve:
 * it disarms itself when a request body has been read, Node emitting `close` on it then.)
 */
export default fp(
  async (app) => {
    const { requestTimeoutMs } = app.config
    app.addHook('onRequest', (request, reply, done) => {
      const timer = setTimeout(() => {
        if (reply.sent || reply.raw.headersSent) return
        const down = app.readiness.firstDown()
        const body = unavailableProblem(request, down)
        reply.hijack()
        // The handler may still call `send` when its dependency answers: that answer is moot.
        reply.send = () => reply
        reply.log = afterDeadline(reply.log)
        const response = reply.raw
        for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) response.setHeader(name, value)
        response.setHeader('content-type', 'application/problem+json; charset=utf-8')
        response.setHeader('retry-after', String(body.retry_after))
        response.writeHead(503)
        response.end(JSON.stringify(body))
        const route = request.routeOptions.url ?? 'unmatched'
        if (!down) request.log.warn({ route, timeout_ms: requestTimeoutMs }, 'request did not finish in time')
        request.log.info({ method: request.method, route, status: 503, ms: requestTimeoutMs, code: body.code }, 'request')
      }, requestTimeoutMs)
      // The response is done (or the client went away): nothing left to bound.
      reply.raw.once('close', () => {
        clearTimeout(timer)
      })
      done()
    })
  },
  { name: 'request-deadline', dependencies: ['config', 'readiness'] },
)

/**
 * The reply's logger once the deadline has answered: the handler still running may fail
 * later, and Fastify then logs "Promise errored, but reply.sent = true was set" at error
 * level — once per request, 21 lines in one 15 s outage. An outage is logged once (by
 * readiness), so its failures go to debug; any other failure is still worth a warning.
 */
function afterDeadline(log: FastifyBaseLogger): FastifyBaseLogger {
  const quieter = Object.create(log) as FastifyBaseLogger
  quieter.error = (object: unknown) => {
    const err = typeof object === 'object' && object !== null ? (object as { err?: unknown }).err : object
    if (unavailableDependency(err) !== undefined) log.debug({ err }, 'request failed after its deadline answer (an outage)')
    else log.warn({ err }, 'request failed after its deadline answer')
  }
  return quieter
}
