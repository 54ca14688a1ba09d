import type { Role } from './abilities.js'
import { AuthenticationError } from './errors.js'

/** What the account check needs of the user store. */
export interface AccountSource {
  find(email: string): Promise<{ role: Role; disabled: boolean; token_generation: number } | null>
}

/** What a token claims about its account. */
export interface TokenAccount {
  sub: string
  role: Role
  /** The account's token generation when the token was issued. */
  gen: number
}

const CHECK_TTL_MS = 5000
const MAX_CACHED = 10_000

/**
 * Tokens stay valid until they expire unless their account changes: a disabled user, and
 * every token issued before a password, role or disabled change (a new token generation),
 * lose access at once on the instance that made the change and within `CHECK_TTL_MS`
 * elsewhere (sooner when the change is broadcast: `forget`). The account behind a token is
 * looked up, with that short cache.
 */
export type AccountCheck = ReturnType<typeof createAccountCheck>

export function createAccountCheck(users: AccountSource) {
  const checked = new Map<string, { role: Role; disabled: boolean; generation: number; at: number }>()

  async function current(email: string) {
    const cached = checked.get(email)
    if (cached && performance.now() - cached.at < CHECK_TTL_MS) return cached
    const user = await users.find(email)
    const account = {
      role: user?.role ?? 'auditor',
      disabled: !user || user.disabled,
      generation: user?.token_generation ?? 0,
      at: performance.now(),
    }
    if (checked.size > MAX_CACHED) checked.clear()
    checked.set(email, account)
    return account
  }

  return {
    /** Throws `AuthenticationError` unless the account exists, is enabled, and the token is of its current generation and role. */
    async assertCurrent({ sub, role, gen }: TokenAccount): Promise<void> {
      const account = await current(sub)
      if (account.disabled) throw new AuthenticationError('AUTH.USER_DISABLED', 'This account is disabled or no longer exists')
      if (account.generation !== gen) {
        throw new AuthenticationError(
          'AUTH.TOKEN_REVOKED',
          'This session was ended by a change to the account (password, role or access); sign in again',
        )
      }
      if (account.role !== role)
        throw new AuthenticationError('AUTH.STALE_TOKEN', 'The account’s role has changed; request a new token')
    },
    forget(email: string): void {
      checked.delete(email)
    },
  }
}
