import { randomBytes } from 'node:crypto'
import type { Role } from '../auth/abilities.js'
import { normalizeEmail } from '../shared/email.js'
import { NotFoundError } from '../shared/errors.js'
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from './password.js'
import { type User, UserExistsError, type UserPageCursor, type UserStore } from './user.js'

export interface NewUser {
  email: string
  name: string
  password: string
  role: Role
}

export interface UserChanges {
  name?: string
  role?: Role
  disabled?: boolean
  password?: string
}

export type Users = ReturnType<typeof createUsers>

/** User accounts: creation, password checks, administration. E-mails are kept lower-case. */
export function createUsers(store: UserStore, now: () => Date = () => new Date()) {
  async function create(input: NewUser): Promise<User> {
    const user: User = {
      email: normalizeEmail(input.email),
      name: input.name.trim(),
      role: input.role,
      password_hash: await hashPassword(input.password),
      created_at: now(),
      disabled: false,
      token_generation: 0,
    }
    await store.insert(user)
    return user
  }

  /**
   * The user whose password this is, or null. Unknown e-mails, disabled users and wrong
   * passwords cost the same scrypt work, so timing does not tell them apart.
   */
  async function authenticate(email: string, password: string): Promise<User | null> {
    const user = await store.find(normalizeEmail(email))
    const matches = await verifyPassword(password, user?.password_hash ?? (await DUMMY_HASH_PROMISE))
    return user && matches && !user.disabled ? user : null
  }

  /** Changing the password, role or disabled flag revokes the user's earlier tokens. */
  async function update(email: string, changes: UserChanges): Promise<User> {
    const { password, ...rest } = changes
    const updated = await store.update(
      normalizeEmail(email),
      { ...rest, ...(password === undefined ? {} : { password_hash: await hashPassword(password) }) },
      { revokeTokens: password !== undefined || rest.role !== undefined || rest.disabled !== undefined },
    )
    if (!updated) throw new NotFoundError('USER.NOT_FOUND', `No user ${email}`)
    return updated
  }

  /**
   * Creates the bootstrap admin unless that e-mail already exists (its password is then
   * left alone). Without credentials, makes a random password for the returned account.
   */
  async function bootstrapAdmin(credentials?: {
    email: string
    password: string
  }): Promise<{ created: boolean; email: string; password?: string }> {
    const email = normalizeEmail(credentials?.email ?? 'admin@sales-orders.local')
    if (await store.find(email)) return { created: false, email }
    const password = credentials?.password ?? randomBytes(18).toString('base64url')
    try {
      await create({ email, name: 'Administrator', password, role: 'admin' })
    } catch (error) {
      if (error instanceof UserExistsError) return { created: false, email } // another instance was first
      throw error
    }
    return { created: true, email, ...(credentials ? {} : { password }) }
  }

  return {
    create,
    authenticate,
    update,
    bootstrapAdmin,
    find: (email: string) => store.find(normalizeEmail(email)),
    list: (limit: number, after?: UserPageCursor) => store.list(limit, after),
    count: () => store.count(),
  }
}
