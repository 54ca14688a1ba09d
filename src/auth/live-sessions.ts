import { setLongTimeout } from '../shared/long-timeout.js'
import type { VerifiedToken } from './abilities.js'
import { AuthenticationError } from './errors.js'

/** Why a live session ended, as its client is told: a problem code and a sentence. */
export interface SessionEnd {
  code: string
  reason: string
}

/** A real-time connection (Socket.IO or WebSocket) opened with a token. */
export interface LiveSession {
  token: VerifiedToken
  /** Tells the client why and closes the connection; called at most once. */
  end(why: SessionEnd): void
}

const EXPIRED: SessionEnd = { code: 'AUTH.TOKEN_EXPIRED', reason: 'the token has expired; reconnect with a new one' }

/**
 * This instance's live sessions, both transports: each ends when its token expires, and
 * when a check of its account (`recheck`) refuses the token — the account was disabled, or
 * its password, role or access changed (a new token generation).
 */
export class LiveSessions {
  private readonly sessions = new Map<LiveSession, () => void>()

  constructor(
    private readonly account: {
      assertCurrent(token: VerifiedToken): Promise<void>
      /** Drops what is cached about an account, so the next check looks it up. */
      forget(email: string): void
    },
  ) {}

  get size(): number {
    return this.sessions.size
  }

  /** Follows a session until it ends; returns the function to call when it closed by itself. */
  add(session: LiveSession): () => void {
    const cancelExpiry = setLongTimeout(() => {
      this.finish(session, EXPIRED)
    }, session.token.expiresAt - Date.now())
    this.sessions.set(session, cancelExpiry)
    return () => {
      this.sessions.get(session)?.()
      this.sessions.delete(session)
    }
  }

  /**
   * Checks the account of each session (of `email` only, when given) afresh — one lookup
   * per user — and ends those it refuses. Failures to check (the user store is
   * unreachable) leave sessions open.
   */
  async recheck(email?: string): Promise<void> {
    const byUser = new Map<string, LiveSession[]>()
    for (const session of this.sessions.keys()) {
      const { sub } = session.token
      if (email === undefined || sub === email) byUser.set(sub, [...(byUser.get(sub) ?? []), session])
    }
    await Promise.all(
      [...byUser].map(async ([sub, sessions]) => {
        this.account.forget(sub) // the first check looks the account up; the others reuse it
        for (const session of sessions) {
          try {
            await this.account.assertCurrent(session.token)
          } catch (error) {
            if (error instanceof AuthenticationError) this.finish(session, { code: error.code, reason: error.message })
          }
        }
      }),
    )
  }

  private finish(session: LiveSession, why: SessionEnd): void {
    const cancelExpiry = this.sessions.get(session)
    if (!cancelExpiry) return
    cancelExpiry()
    this.sessions.delete(session)
    session.end(why)
  }
}
