import { describe, expect, it } from 'vitest'
import { TEST_ADMIN, buildTestApp } from '../support/app.js'
import { bearer, tokenFor } from '../support/auth.js'

describe('secrets never leak', () => {
  it('no password or hash appears in any response or log line', async () => {
    const { app, logs } = await buildTestApp({ captureLogs: true })
    try {
      const admin = await tokenFor(app, 'admin', TEST_ADMIN.email)
      const secret = 'my-very-secret-password-42'
      const responses = [
        await app.inject({
          method: 'POST',
          url: '/api/users',
          headers: bearer(admin),
          payload: { email: 's@test.local', name: 'S', password: secret, role: 'auditor' },
        }),
        await app.inject({ method: 'POST', url: '/api/auth/token', payload: { email: 's@test.local', password: secret } }),
        await app.inject({
          method: 'POST',
          url: '/api/auth/token',
          payload: { email: 's@test.local', password: `${secret}-wrong` },
        }),
        await app.inject({
          method: 'POST',
          url: '/api/users',
          headers: bearer(admin),
          payload: { email: 's@test.local', name: 'S', password: secret, role: 'auditor' },
        }),
        await app.inject({
          method: 'PATCH',
          url: '/api/users/s@test.local',
          headers: bearer(admin),
          payload: { password: `${secret}-new` },
        }),
        await app.inject({ url: '/api/users', headers: bearer(admin) }),
        await app.inject({ url: '/api/users/s@test.local', headers: bearer(admin) }),
      ]
      expect(responses.map((r) => r.statusCode)).toEqual([201, 200, 401, 409, 200, 200, 200])
      const stored = await app.users.find('s@test.local')
      const hash = stored?.password_hash ?? ''
      expect(hash).toMatch(/^scrypt\$/)

      for (const response of responses) {
        expect(response.body).not.toContain(secret)
        expect(response.body).not.toContain('scrypt$')
        expect(response.body).not.toMatch(/"password(_hash)?"/)
      }
      const text = logs.text()
      expect(logs.lines.length).toBeGreaterThan(7)
      expect(text).not.toContain(secret)
      expect(text).not.toContain(hash)
      expect(text).not.toContain('scrypt$')
      expect(text).not.toContain(admin) // bearer tokens are not logged either
    } finally {
      await app.close()
    }
  })

  it('embedded mode without ADMIN_* prints the generated admin once, in the start banner, outside the logs', async () => {
    const { app, logs } = await buildTestApp({ captureLogs: true, env: { ADMIN_EMAIL: '', ADMIN_PASSWORD: '' } })
    try {
      await app.listen({ port: 0, host: '127.0.0.1' })
      const announcements = logs.lines.filter((l) => 'announce' in l)
      expect(announcements).toHaveLength(1)
      const match = /^ {2}e-mail +(\S+)\n {2}password +(\S+)$/m.exec(String(announcements[0]?.announce))
      expect(match).not.toBeNull()
      const login = await app.inject({
        method: 'POST',
        url: '/api/auth/token',
        payload: { email: match?.[1], password: match?.[2] },
      })
      expect(login.statusCode).toBe(200)
      const logLines = logs.lines.filter((l) => !('announce' in l))
      expect(JSON.stringify(logLines)).not.toContain(match?.[2])
    } finally {
      await app.close()
    }
  })
})
