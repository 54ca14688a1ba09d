import type { AddressInfo } from 'node:net'
import fp from 'fastify-plugin'
import { SERVICE_VERSION } from '../../infra/version.js'
import { startBanner } from '../start-banner.js'

/** Once the service listens, shows the start banner (see `start-banner.ts`) through `announce`, outside the logs. */
export default fp(
  async (app) => {
    app.addHook('onListen', async () => {
      const address = app.server.address() as AddressInfo | null
      if (!address) return
      const storage =
        app.storage.kind === 'mongodb'
          ? { kind: 'mongodb' as const, database: app.config.mongodbDatabase }
          : { kind: 'embedded' as const, dataDir: app.storage.dataDir }
      app.announce(startBanner({ version: SERVICE_VERSION, url: urlOf(address), storage, admin: app.generatedAdmin }))
      // Shown once: not even this process keeps it any longer.
      if (app.generatedAdmin) delete app.generatedAdmin.password
    })
  },
  { name: 'welcome', dependencies: ['config', 'storage', 'users'] },
)

/** A URL a person on this machine can paste: a wildcard bind address becomes the loopback one. */
function urlOf({ address, port }: AddressInfo): string {
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '[::1]' : address.includes(':') ? `[${address}]` : address
  return `http://${host}:${port}`
}
