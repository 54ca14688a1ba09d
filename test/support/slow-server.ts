// A real service process with one extra slow route, for shutdown tests: started by
// `node --import tsx test/support/slow-server.ts` with the usual environment.
import { setTimeout as sleep } from 'node:timers/promises'
import { loadConfig } from '../../src/infra/config.js'
import { startServer } from '../../src/server.js'

await startServer({
  config: loadConfig(),
  extend: async (app) => {
    app.get<{ Querystring: { ms?: string } }>('/test/slow', async (request) => {
      await sleep(Number(request.query.ms ?? 1000))
      return { done: true }
    })
  },
})
