import { defineAbilityFor } from '../auth/abilities.js'
import type { SessionEnd } from '../auth/live-sessions.js'
import { ForbiddenError } from '../auth/errors.js'
import { AppError } from '../shared/errors.js'

/** Who may follow the live feed: admins and auditors (DESIGN §7). */
export function assertMayFollowFeed(principal: Parameters<typeof defineAbilityFor>[0]): void {
  if (!defineAbilityFor(principal).can('read', 'RealtimeFeed')) {
    throw new ForbiddenError('Only admins and auditors may follow the live feed')
  }
}

/** `after` from a handshake or query: a whole number >= 0, or absent. */
export function parseAfter(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const after = typeof value === 'number' ? value : Number(value)
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new AppError('invalid', 'REQUEST.VALIDATION', '`after` must be a whole number >= 0 (the last position you received)')
  }
  return after
}

/** Socket event names for an event type: every order event, plus `new_order` for creations. */
export function socketEventsFor(type: string): string[] {
  if (type === 'order.created') return ['new_order', 'order_event']
  if (type.startsWith('order.')) return ['order_event']
  if (type.startsWith('sku.')) return ['sku_event']
  return []
}

/** The message a client gets when its live session ends: `token_expired`, else `session_revoked`. */
export function sessionEndEvent(why: SessionEnd): 'token_expired' | 'session_revoked' {
  return why.code === 'AUTH.TOKEN_EXPIRED' ? 'token_expired' : 'session_revoked'
}
