import { useCallback, useEffect, useMemo, useState } from 'preact/hooks'
import { createApi } from './api/client'
import { SessionContext, useHashRoute } from './hooks'
import { LiveScreen } from './screens/live'
import { OperationsScreen } from './screens/operations'
import { OrderDetailScreen } from './screens/order-detail'
import { OrdersScreen } from './screens/orders'
import { PlaceOrderScreen } from './screens/place-order'
import { RevenueScreen } from './screens/revenue'
import { SignInScreen } from './screens/sign-in'
import { type Session, can, clearSession, loadSession, saveSession } from './session'

interface Screen {
  path: string
  label: string
}

/** The screens a role may open, in the order of the navigation. */
function screensFor(session: Session): Screen[] {
  const may = can(session.role)
  return [
    ...(may.followLive ? [{ path: 'live', label: 'Live' }] : []),
    ...(may.readReports ? [{ path: 'revenue', label: 'Revenue' }] : []),
    { path: 'orders', label: may.seeAllOrders ? 'Orders' : 'My orders' },
    ...(may.placeOrders ? [{ path: 'new-order', label: 'Place an order' }] : []),
    ...(may.operate ? [{ path: 'operations', label: 'Operations' }] : []),
  ]
}

const ROLE_NAMES = { admin: 'Admin', auditor: 'Auditor (read-only)', sales_rep: 'Sales rep' } as const

/** The dashboard: the sign-in until a session exists, then the screens the role may see. */
export function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession)
  const [notice, setNotice] = useState<string>()
  const route = useHashRoute()

  const signOut = useCallback((why?: string) => {
    clearSession()
    setSession(undefined)
    setNotice(why)
  }, [])
  const signIn = useCallback((next: Session) => {
    saveSession(next)
    setNotice(undefined)
    setSession(next)
  }, [])

  // Re-ask for the password when the token expires, rather than failing call after call.
  useEffect(() => {
    if (!session) return
    const timer = setTimeout(
      () => {
        signOut('Your session expired: sign in again.')
      },
      Math.max(0, session.expiresAt - Date.now()),
    )
    return () => {
      clearTimeout(timer)
    }
  }, [session, signOut])

  const context = useMemo(
    () =>
      session && {
        session,
        api: createApi(session.token, (message) => {
          signOut(`Signed out: ${message}`)
        }),
      },
    [session, signOut],
  )

  if (!session || !context) return <SignInScreen notice={notice} onSignedIn={signIn} />

  const screens = screensFor(session)
  const [first = '', id] = route
  const current = screens.find((screen) => screen.path === first) ?? screens[0]
  const onMissingScreen = first !== '' && !screens.some((screen) => screen.path === first)

  return (
    <SessionContext.Provider value={context}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Sales orders</span>
        <nav aria-label="Screens">
          <ul>
            {screens.map((screen) => (
              <li key={screen.path}>
                <a href={`#/${screen.path}`} aria-current={screen === current ? 'page' : undefined}>
                  {screen.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {session.email} · {ROLE_NAMES[session.role]}
          </span>
          <button
            type="button"
            class="link"
            onClick={() => {
              signOut()
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {onMissingScreen && (
          <p class="notice" role="status">
            That screen is not available to your role; here is {current?.label}.
          </p>
        )}
        {current?.path === 'live' && <LiveScreen />}
        {current?.path === 'revenue' && <RevenueScreen />}
        {current?.path === 'orders' && (id === undefined ? <OrdersScreen /> : <OrderDetailScreen orderId={id} />)}
        {current?.path === 'new-order' && <PlaceOrderScreen />}
        {current?.path === 'operations' && <OperationsScreen />}
      </main>
    </SessionContext.Provider>
  )
}
