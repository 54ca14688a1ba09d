// A real service process with one extra slow route, for shutdown tests: started by
// `node --import tsx test/support/slow-server.ts` with the usual environment.
import { loadConfig } from '../../src/infra/config.js'
import { startServer } from '../../src/server.js'
import { sleep } from './wait.js'

await startServer({
  config: loadConfig(),
  extend: async (app) => {
    app.get<{ Querystring: { ms?: string } }>('/test/slow', async (request) => {
      // Tests wait for this line to know the request is in flight (request logging is off).
      request.log.info('slow request started')
      await sleep(Number(request.query.ms ?? 1000))
      return { done: true }
    })
  },
})
