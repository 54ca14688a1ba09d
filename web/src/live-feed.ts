import { io, type Socket } from 'socket.io-client'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { FeedEvent } from './api/types'

/** The connection to the live feed, as the page shows it. */
export type FeedState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; attempt: number; reason: string }
  | { kind: 'refused'; message: string }

export type FeedEventName = 'new_order' | 'order_event' | 'sku_event'

export interface FeedHandlers {
  /** The last position this page has (events after it are replayed on every (re)connection). */
  after(): number | undefined
  onEvent(name: FeedEventName, event: FeedEvent): void
  /** The missed events are no longer all there: reload over HTTP. */
  onResync(): void
  /** The token was refused or has ended (expired, revoked): the user must sign in again. */
  onSignedOut(message: string): void
}

/** Back-off before connecting again after the service refused us for a passing reason (503 and the like). */
const RETRY_REFUSED_MS = 2000

/**
 * Follows the Socket.IO feed while `enabled`: WebSocket transport, the token and the last
 * position in `auth` (read again on each reconnection, so the service replays what was missed),
 * reconnecting by itself after any disconnect.
 */
export function useLiveFeed(token: string, enabled: boolean, handlers: FeedHandlers): FeedState {
  const [state, setState] = useState<FeedState>({ kind: 'connecting' })
  const saved = useRef(handlers)
  saved.current = handlers
  useEffect(() => {
    if (!enabled) return
    setState({ kind: 'connecting' })
    const socket: Socket = io({
      path: '/socket.io',
      transports: ['websocket'],
      auth: (send) => {
        const after = saved.current.after()
        send(after === undefined ? { token } : { token, after })
      },
    })
    let retry: ReturnType<typeof setTimeout> | undefined
    for (const name of ['new_order', 'order_event', 'sku_event'] as const) {
      socket.on(name, (event: FeedEvent) => {
        saved.current.onEvent(name, event)
      })
    }
    socket.on('resync', () => {
      saved.current.onResync()
    })
    socket.on('connect', () => {
      setState({ kind: 'live' })
    })
    socket.on('disconnect', (reason) => {
      setState({ kind: 'reconnecting', attempt: 0, reason })
    })
    socket.io.on('reconnect_attempt', (attempt) => {
      setState((previous) => ({ kind: 'reconnecting', attempt, reason: previous.kind === 'reconnecting' ? previous.reason : '' }))
    })
    const signOut = (why: { reason?: string } | undefined, fallback: string) => {
      socket.disconnect()
      saved.current.onSignedOut(why?.reason ?? fallback)
    }
    socket.on('token_expired', (why?: { reason?: string }) => {
      signOut(why, 'Your session expired.')
    })
    socket.on('session_revoked', (why?: { reason?: string }) => {
      signOut(why, 'Your session was ended.')
    })
    socket.on('connect_error', (error: Error & { data?: { status?: number } }) => {
      if (socket.active) return // a transport failure: the manager retries with back-off by itself
      const status = error.data?.status
      if (status === 401) {
        saved.current.onSignedOut(error.message)
        return
      }
      if (status === 403) {
        setState({ kind: 'refused', message: error.message })
        return
      }
      // Refused for a passing reason (the service is starting, a dependency is down): try again.
      setState({ kind: 'reconnecting', attempt: 0, reason: error.message })
      retry = setTimeout(() => socket.connect(), RETRY_REFUSED_MS)
    })
    return () => {
      clearTimeout(retry)
      socket.disconnect()
    }
  }, [token, enabled])
  return state
}

/** The feed's state in words. */
export function describeFeed(state: FeedState): string {
  switch (state.kind) {
    case 'connecting':
      return 'Connecting…'
    case 'live':
      return 'Live'
    case 'reconnecting':
      return state.attempt > 0 ? `Reconnecting (attempt ${state.attempt})…` : 'Disconnected — reconnecting…'
    case 'refused':
      return `Not connected: ${state.message}`
    default: {
      const unknown: never = state
      return String(unknown)
    }
  }
}
