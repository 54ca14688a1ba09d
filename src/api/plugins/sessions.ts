import fp from 'fastify-plugin'
import { LiveSessions } from '../../auth/live-sessions.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's real-time sessions, ended when their token expires or their account changes. */
    liveSessions: LiveSessions
  }
}

/** Every live session's account is looked up afresh this often, in case a change notification was lost. */
const RECHECK_EVERY_MS = 4000

/**
 * Session revocation across instances: a change to an account (password, role, disabled)
 * made on any instance is published on Redis (`<prefix>account-changed`, the e-mail as
 * message; in-process when embedded); every instance then forgets its cached view of that
 * account and ends the user's live sessions that the account no longer allows. A periodic
 * fresh check of all live sessions covers a lost message (so within 4 s; HTTP requests see
 * the change within the account cache's 5 s).
 */
export default fp(
  async (app) => {
    const sessions = new LiveSessions(app.accounts)
    const changed = (email: string) => {
      app.accounts.forget(email)
      void sessions.recheck(email)
    }

    if (app.redis) {
      const channel = `${app.config.redisKeyPrefix}account-changed`
      const publisher = app.redis
      const subscriber = app.redis.duplicate({ maxRetriesPerRequest: null })
      subscriber.on('error', () => undefined) // the shared connection already logs Redis errors
      subscriber.on('message', (_channel: string, email: string) => {
        changed(email)
      })
      subscriber.subscribe(channel).catch((error: unknown) => {
        app.log.warn({ err: error }, 'cannot subscribe to account changes; live sessions are checked every few seconds')
      })
      app.users.onChange((email) => {
        changed(email)
        publisher.publish(channel, email).catch((error: unknown) => {
          app.log.warn({ err: error, email }, 'cannot broadcast an account change; other instances see it within seconds')
        })
      })
      app.addHook('onClose', async () => {
        subscriber.disconnect()
      })
    } else {
      app.users.onChange(changed)
    }

    const recheck = setInterval(() => void sessions.recheck(), RECHECK_EVERY_MS)
    recheck.unref()
    app.addHook('onClose', async () => {
      clearInterval(recheck)
    })
    app.decorate('liveSessions', sessions)
  },
  { name: 'sessions', dependencies: ['config', 'redis', 'users', 'tokens'] },
)
