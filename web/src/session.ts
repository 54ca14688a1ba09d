import type { Role } from './api/types'

/** Who is signed in, from the token's claims (the service verifies the token; the page only reads it). */
export interface Session {
  token: string
  email: string
  role: Role
  /** When the token stops being accepted (ms since the epoch). */
  expiresAt: number
}

// sessionStorage: the token survives a reload of this tab, not the closing of the browser, and
// is never shared with another tab or put in a URL.
const KEY = 'sales-orders.session'

function claimsOf(token: string): { sub?: unknown; role?: unknown; exp?: unknown } | undefined {
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const text = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0)))) as Record<string, unknown>
  } catch {
    return undefined
  }
}

/** The session a token opens, or undefined if its claims are not what the service issues. */
export function sessionFrom(token: string, expiresInSeconds?: number): Session | undefined {
  const claims = claimsOf(token)
  if (!claims || typeof claims.sub !== 'string') return undefined
  const role = claims.role
  if (role !== 'admin' && role !== 'sales_rep' && role !== 'auditor') return undefined
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + (expiresInSeconds ?? 0) * 1000
  return { token, email: claims.sub, role, expiresAt }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, session.token)
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY)
}

/** The session kept in this tab, if its token has not expired. */
export function loadSession(): Session | undefined {
  const token = sessionStorage.getItem(KEY)
  const session = token === null ? undefined : sessionFrom(token)
  if (session && session.expiresAt > Date.now()) return session
  clearSession()
  return undefined
}

/** What each role sees (the service enforces the same rules; this only hides what would be refused). */
export function can(role: Role) {
  return {
    followLive: role !== 'sales_rep', // Socket.IO admits admins and auditors only
    readReports: role !== 'sales_rep',
    placeOrders: role !== 'auditor',
    operate: role === 'admin',
    seeAllOrders: role !== 'sales_rep',
  }
}
