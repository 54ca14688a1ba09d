import { createContext } from 'preact'
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks'
import { type Api, messageOf } from './api/client'
import type { Session } from './session'

/** The signed-in user and the API as that user; every screen below the sign-in reads it. */
export const SessionContext = createContext<{ session: Session; api: Api } | undefined>(undefined)

export function useSession(): { session: Session; api: Api } {
  const value = useContext(SessionContext)
  if (!value) throw new Error('useSession outside a signed-in screen')
  return value
}

export interface Loaded<T> {
  data: T | undefined
  error: string | undefined
  loading: boolean
  reload: () => void
}

/**
 * The result of `load`, run again when `keys` change or on `reload()`; an answer that arrives
 * after a newer load started is dropped, so a slow old answer never replaces a new one.
 */
export function useLoad<T>(load: () => Promise<T>, keys: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true })
  const [round, setRound] = useState(0)
  const latest = useRef(0)
  useEffect(() => {
    const ticket = ++latest.current
    setState((previous) => ({ ...previous, loading: true }))
    load().then(
      (data) => {
        if (ticket === latest.current) setState({ data, loading: false })
      },
      (error: unknown) => {
        if (ticket === latest.current) setState((previous) => ({ data: previous.data, error: messageOf(error), loading: false }))
      },
    )
    // `keys` are what `load` depends on: the caller lists them, as with useEffect.
  }, [...keys, round])
  const reload = useCallback(() => {
    setRound((n) => n + 1)
  }, [])
  return { data: state.data, error: state.error, loading: state.loading, reload }
}

/** The route in the address's fragment (`#/orders/ORD-00001` → ['orders', 'ORD-00001']). */
export function useHashRoute(): string[] {
  const read = () =>
    location.hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter(Boolean)
      .map((part) => decodeURIComponent(part))
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const onChange = () => {
      setRoute(read())
    }
    addEventListener('hashchange', onChange)
    return () => {
      removeEventListener('hashchange', onChange)
    }
  }, [])
  return route
}

/** Calls `tick` every `ms` while mounted (and `ms` is defined). */
export function useInterval(tick: () => void, ms: number | undefined): void {
  const saved = useRef(tick)
  saved.current = tick
  useEffect(() => {
    if (ms === undefined) return
    const timer = setInterval(() => {
      saved.current()
    }, ms)
    return () => {
      clearInterval(timer)
    }
  }, [ms])
}
