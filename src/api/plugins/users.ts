import fp from 'fastify-plugin'
import { MemoryUserStore } from '../../users/memory-user-store.js'
import { MongoUserStore } from '../../users/mongo-user-store.js'
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

/** User accounts (MongoDB `users` or memory) and the bootstrap admin. */
export default fp(
  async (app) => {
    const store = app.mongo ? new MongoUserStore(app.mongo.db) : new MemoryUserStore()
    await store.ensureIndexes()
    const users = createUsers(store)
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
    } else if (!app.mongo) {
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
  { name: 'users', dependencies: ['config', 'mongo'] },
)
