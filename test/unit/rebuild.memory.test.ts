import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../support/app.js'
import { rebuildWhileBusy } from '../support/rebuild-scenario.js'

describe('zero-downtime rebuild (embedded)', () => {
  it('rebuilds orders while 20 clients query and orders keep arriving', async () => {
    const { app } = await buildTestApp({ env: { API_RATE_LIMIT: '1000000/1m' } })
    try {
      const { queries, ordersDuringRebuild } = await rebuildWhileBusy(app, { seedOrders: 2000 })
      expect(queries).toBeGreaterThanOrEqual(80)
      expect(ordersDuringRebuild).toBeGreaterThan(0)
    } finally {
      await app.close()
    }
  })
})
