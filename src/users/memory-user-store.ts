import { type User, type StoredUserChanges, UserExistsError, type UserPageCursor, type UserStore } from './user.js'

/** Users in memory (embedded mode and tests). */
export class MemoryUserStore implements UserStore {
  private readonly users = new Map<string, User>()

  constructor(users: readonly User[] = []) {
    for (const user of users) this.users.set(user.email, structuredClone(user))
  }

  /** Every user (copies), for a store that keeps them elsewhere too. */
  all(): User[] {
    return structuredClone([...this.users.values()])
  }

  ensureIndexes(): Promise<void> {
    return Promise.resolve()
  }

  insert(user: User): Promise<void> {
    if (this.users.has(user.email)) return Promise.reject(new UserExistsError(user.email))
    this.users.set(user.email, structuredClone(user))
    return Promise.resolve()
  }

  find(email: string): Promise<User | null> {
    const user = this.users.get(email)
    return Promise.resolve(user ? structuredClone(user) : null)
  }

  update(email: string, changes: StoredUserChanges, options: { revokeTokens?: boolean } = {}): Promise<User | null> {
    const user = this.users.get(email)
    if (!user) return Promise.resolve(null)
    const updated = {
      ...user,
      ...structuredClone(changes),
      token_generation: user.token_generation + (options.revokeTokens ? 1 : 0),
    }
    this.users.set(email, updated)
    return Promise.resolve(structuredClone(updated))
  }

  list(limit: number, after?: UserPageCursor): Promise<User[]> {
    const sorted = [...this.users.values()].sort(newestFirst)
    const start = after ? sorted.findIndex((u) => newestFirst(u, after) > 0) : 0
    return Promise.resolve(structuredClone(start < 0 ? [] : sorted.slice(start, start + limit)))
  }

  count(): Promise<number> {
    return Promise.resolve(this.users.size)
  }
}

function newestFirst(a: UserPageCursor, b: UserPageCursor): number {
  return b.created_at.getTime() - a.created_at.getTime() || (a.email < b.email ? 1 : a.email > b.email ? -1 : 0)
}
