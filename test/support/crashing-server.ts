// A real service process with routes that crash it, for the error-tracking tests:
// `node --import tsx test/support/crashing-server.ts` with the usual environment.
// GET /test/throw throws outside any request (an uncaught exception); GET /test/reject
// leaves a rejected promise unhandled. Each error names an e-mail address, to be scrubbed.
import { loadConfig } from '../../src/infra/config.js'
import { startServer } from '../../src/server.js'

await startServer({
  config: loadConfig(),
  extend: async (app) => {
    app.get('/test/throw', async () => {
      setImmediate(() => {
        throw new Error('uncaught for erin@example.com')
      })
      return { thrown: true }
    })
    app.get('/test/reject', async () => {
      void Promise.reject(new Error('unhandled for frank@example.com'))
      return { rejected: true }
    })
  },
})
