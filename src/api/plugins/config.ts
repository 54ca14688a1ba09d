import fp from 'fastify-plugin'
import type { Config } from '../../infra/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    /** A one-time message for the operator, outside the logs (e.g. generated credentials). */
    announce(message: string): void
  }
}

/** Exposes the validated configuration to every plugin as `app.config`. */
export default fp<{ config: Config }>(
  (app, { config }, done) => {
    app.decorate('config', config)
    done()
  },
  { name: 'config' },
)
