import { useState } from 'preact/hooks'
import { messageOf, requestToken } from '../api/client'
import { type Session, sessionFrom } from '../session'

/** E-mail and password for a token; the problem's message when the service refuses. */
export function SignInScreen({ notice, onSignedIn }: { notice: string | undefined; onSignedIn: (session: Session) => void }) {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const token = await requestToken(email.trim(), password)
      const session = sessionFrom(token.access_token, token.expires_in)
      if (!session) throw new Error('The service sent a token this dashboard cannot read.')
      onSignedIn(session)
    } catch (failure) {
      setError(messageOf(failure))
      setBusy(false)
    }
  }

  return (
    <main id="main" class="sign-in">
      <h1>Sales orders</h1>
      <form onSubmit={(event) => void submit(event)} aria-describedby={error ? 'sign-in-error' : undefined}>
        <h2>Sign in</h2>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <label>
          E-mail
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onInput={(event) => {
              setEmail(event.currentTarget.value)
            }}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(event) => {
              setPassword(event.currentTarget.value)
            }}
          />
        </label>
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
