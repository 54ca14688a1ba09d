import type { Role } from '../auth/abilities.js'
import { AppError } from '../shared/errors.js'

/** A user as stored (never sent anywhere: use `publicUser`). */
export interface User {
  email: string
  name: string
  role: Role
  password_hash: string
  created_at: Date
  disabled: boolean
  /**
   * Tokens carry the generation they were issued in (`gen`); changing the password, role or
   * disabled flag increments it, which revokes every token issued before.
   */
  token_generation: number
}

/** A user as the API shows it: no password hash, ever. */
export interface PublicUser {
  email: string
  name: string
  role: Role
  created_at: string
  disabled: boolean
}

export function publicUser(user: User): PublicUser {
  return {
    email: user.email,
    name: user.name,
    role: user.role,
    created_at: user.created_at.toISOString(),
    disabled: user.disabled,
  }
}

export class UserExistsError extends AppError {
  constructor(email: string) {
    super('conflict', 'USER.EMAIL_TAKEN', `A user with e-mail ${email} already exists`)
  }
}

export type StoredUserChanges = Partial<Omit<User, 'email' | 'created_at' | 'token_generation'>>

/** Users sort newest first; the cursor is the last user of the previous page. */
export interface UserPageCursor {
  created_at: Date
  email: string
}

/** Where users live: MongoDB `users` (e-mail as `_id`) or memory. Not in the event log: passwords must be erasable. */
export interface UserStore {
  ensureIndexes(): Promise<void>
  /** Inserts a new user; throws `UserExistsError` if the e-mail is taken. */
  insert(user: User): Promise<void>
  find(email: string): Promise<User | null>
  /**
   * Applies the changes to an existing user (and, with `revokeTokens`, increments its token
   * generation in the same write); returns the updated user, or null if there is none.
   */
  update(email: string, changes: StoredUserChanges, options?: { revokeTokens?: boolean }): Promise<User | null>
  /** Up to `limit` users, newest first, after the cursor. */
  list(limit: number, after?: UserPageCursor): Promise<User[]>
  count(): Promise<number>
}
