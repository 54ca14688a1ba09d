import type { Role } from './abilities.js'
import { AuthenticationError } from './errors.js'

/** What the account check needs of the user store. */
export interface AccountSource {
  find(email: string): Promise<{ role: Role; disabled: boolean } | null>
}

const CHECK_TTL_MS = 5000
const MAX_CACHED = 10_000

/**
 * Tokens stay valid until they expire, but a disabled (or re-roled) user loses access
 * within `CHECK_TTL_MS`: the account behind a token is looked up, with a short cache that
 * changes made through this instance clear at once (`forget`).
 */
export function createAccountCheck(users: AccountSource) {
  const checked = new Map<string, { role: Role; disabled: boolean; at: number }>()

  async function current(email: string) {
    const cached = checked.get(email)
    if (cached && performance.now() - cached.at < CHECK_TTL_MS) return cached
    const user = await users.find(email)
    const account = { role: user?.role ?? 'auditor', disabled: !user || user.disabled, at: performance.now() }
    if (checked.size > MAX_CACHED) checked.clear()
    checked.set(email, account)
    return account
  }

  return {
    /** Throws `AuthenticationError` unless the account exists, is enabled and still has the token's role. */
    async assertCurrent(sub: string, role: Role): Promise<void> {
      const account = await current(sub)
      if (account.disabled) throw new AuthenticationError('AUTH.USER_DISABLED', 'This account is disabled or no longer exists')
      if (account.role !== role)
        throw new AuthenticationError('AUTH.STALE_TOKEN', 'The account’s role has changed; request a new token')
    },
    forget(email: string): void {
      checked.delete(email)
    },
  }
}
