import fp from 'fastify-plugin'
import { type UserChanges, type Users, createUsers } from '../../users/users.js'

type UserService = Users & {
  /** Called with the e-mail of every user changed through this instance. */
  onChange(listener: (email: string) => void): void
}

/** The admin the embedded mode made up (no ADMIN_EMAIL/ADMIN_PASSWORD), for the start banner. */
export interface GeneratedAdmin {
  email: string
  /** Only on the start that created it: the banner shows it once, and it is never logged. */
  password?: string
  createdAt: Date
}

declare module 'fastify' {
  interface FastifyInstance {
    users: UserService
    generatedAdmin: GeneratedAdmin | undefined
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
    let generated: GeneratedAdmin | undefined
    if (admin) {
      const result = await users.bootstrapAdmin(admin)
      if (result.created) app.log.info({ email: result.email }, 'bootstrap admin created')
    } else if (app.storage.kind === 'embedded') {
      const { email, password } = await users.bootstrapAdmin()
      const createdAt = (await users.find(email))?.created_at ?? new Date()
      generated = { email, ...(password === undefined ? {} : { password }), createdAt }
      if (password !== undefined)
        app.log.info({ email }, 'bootstrap admin created (its password is shown in the start banner only)')
    } else if ((await users.count()) === 0) {
      app.log.warn('no users exist: set ADMIN_EMAIL and ADMIN_PASSWORD to create the first admin')
    }
    app.decorate('generatedAdmin', generated)
  },
  { name: 'users', dependencies: ['config', 'storage'] },
)
