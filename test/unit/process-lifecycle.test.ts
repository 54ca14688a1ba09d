import { describe, expect, it } from 'vitest'
import { startProcess } from '../support/process.js'
import { socketClient, wsClient } from '../support/realtime.js'
import { eventually } from '../support/wait.js'

describe('service process', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ API_RATE_LIMIT: 'lots' }, 'API_RATE_LIMIT'],
    [{ MONGODB_URI: 'postgres://localhost/x' }, 'MONGODB_URI'],
  ])('refuses to start with %o: exit code 1 and one line naming %s', async (env, variable) => {
    const service = startProcess('src/main.ts', env)
    const code = await service.exited
    expect(code).toBe(1)
    const lines = service.output().trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`^Invalid configuration: ${variable} `))
  })

  it('SIGTERM during a slow request: the request completes, new connections are refused, the process exits 0', async () => {
    const service = startProcess('test/support/slow-server.ts', { PORT: '0', INSTANCE_ID: 'shutdown-test' })
    const url = await service.url
    const slow = fetch(`${url}/test/slow?ms=1500`)
    await eventually('the slow request to reach the server', () => service.output().includes('"msg":"slow request started"'))
    service.child.kill('SIGTERM')
    await eventually('the service to begin shutting down', () => service.output().includes('"msg":"shutting down"'))
    // Refused within the grace the test always gave the listener to close (300 ms).
    await eventually(
      'new connections to be refused',
      () =>
        fetch(`${url}/health`).then(
          () => false,
          () => true,
        ),
      300,
    )

    const response = await slow
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ done: true })
    expect(await service.exited).toBe(0)
    expect(service.output()).toContain('"msg":"shutting down"')
    expect(service.output()).toContain('"msg":"shut down cleanly"')
  })

  it('SIGTERM with real-time clients connected: they are disconnected and the process exits 0', async () => {
    const admin = { email: 'admin@test.local', password: 'admin-password-for-tests' }
    const service = startProcess('src/main.ts', { PORT: '0', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password })
    const url = await service.url
    const login = await fetch(`${url}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(admin),
    })
    const { access_token: token } = (await login.json()) as { access_token: string }
    const socket = await socketClient(url, { token })
    const ws = await wsClient(url, { token })
    const closed = new Promise<void>((resolve) =>
      ws.socket.once('close', () => {
        resolve()
      }),
    )
    const disconnected = new Promise<void>((resolve) =>
      socket.socket.once('disconnect', () => {
        resolve()
      }),
    )
    service.child.kill('SIGTERM')
    await Promise.all([closed, disconnected])
    expect(await service.exited).toBe(0)
  })
})
