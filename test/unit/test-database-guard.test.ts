import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../support/app.js'
import { runToExit, startProcess } from '../support/process.js'
import { assertTestDatabase, withDatabase } from '../support/servers.js'

describe('the test-database guard', () => {
  it.each([
    'mongodb://127.0.0.1:27017/sales_orders',
    'mongodb://127.0.0.1:27017/',
    'mongodb://127.0.0.1:27017',
    'mongodb+srv://cluster.example.net/orders?retryWrites=true',
    'mongodb://127.0.0.1:27017/testing?w=majority',
  ])('refuses to launch a process or build an app with MONGODB_URI=%s', async (uri) => {
    expect(() => startProcess('src/main.ts', { MONGODB_URI: uri })).toThrow(
      /^refusing to launch src\/main\.ts with MONGODB_URI database "[^"]*": not a test database \(its name must start with "test_"/,
    )
    await expect(runToExit('src/cli/replay.ts', ['orders'], { MONGODB_URI: uri })).rejects.toThrow(/not a test database/)
    await expect(buildTestApp({ env: { MONGODB_URI: uri } })).rejects.toThrow(
      /^refusing to build an app with MONGODB_URI database "[^"]*": not a test database/,
    )
  })

  it('lets through the databases createTestDatabase names', () => {
    const uri = withDatabase('mongodb://127.0.0.1:27017/ignored?w=majority', 'test_orders_1a2b3c4d')
    expect(uri).toBe('mongodb://127.0.0.1:27017/test_orders_1a2b3c4d?w=majority')
    expect(() => {
      assertTestDatabase(uri, 'to check')
    }).not.toThrow()
  })
})
