import fp from 'fastify-plugin'
import { type UserChanges, type Users, createUsers } from '../../users/users.js'

type UserService = Users & {
  /** Called with the e-mail of every user changed through this instance. */
  onChange(listener: (email: string) => void): void
}

declare module 'fastify' {
  interface FastifyInstance {
    users: UserService
  }
}

/** User accounts (in the storage's `users`) and the bootstrap admin. */
export default fp(
  async (app) => {
    const users = createUsers(app.storage.users)
    const listeners: ((email: string) => void)[] = []
    app.decorate('users', {
      ...users,
      async update(email: string, changes: UserChanges) {
        const updated = await users.update(email, changes)
        for (const listener of listeners) listener(updated.email)
        return updated
      },
      onChange: (listener: (email: string) => void) => {
        listeners.push(listener)
      },
    })

    const { admin } = app.config
    if (admin) {
      const result = await users.bootstrapAdmin(admin)
      if (result.created) app.log.info({ email: result.email }, 'bootstrap admin created')
    } else if (app.storage.kind === 'memory') {
      const result = await users.bootstrapAdmin()
      if (result.password) {
        app.announce(
          `embedded mode: bootstrap admin ${result.email} / ${result.password} (shown once; set ADMIN_EMAIL and ADMIN_PASSWORD to choose)`,
        )
      }
    } else if ((await users.count()) === 0) {
      app.log.warn('no users exist: set ADMIN_EMAIL and ADMIN_PASSWORD to create the first admin')
    }
  },
  { name: 'users', dependencies: ['config', 'storage'] },
)
