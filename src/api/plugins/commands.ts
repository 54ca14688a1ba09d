import fp from 'fastify-plugin'
import { createCommandHandler } from '../../commands/command-handler.js'
import { type OrderCommands, createOrderCommands } from '../../commands/order-commands.js'
import { type SkuCommands, createSkuCommands } from '../../commands/sku-commands.js'
import { orderNumberFloor } from '../../commands/order-number-floor.js'
import { redisSequences } from '../../infra/redis-sequences.js'

declare module 'fastify' {
  interface FastifyInstance {
    skuCommands: SkuCommands
    orderCommands: OrderCommands
  }
}

/** The write side: SKU and order commands, all through one command handler over the event store. */
export default fp(
  async (app) => {
    const handle = createCommandHandler(app.eventStore)
    const skuCommands = createSkuCommands({
      handle,
      store: app.eventStore,
      changes: (listener) => app.eventFeed.follow(listener),
    })
    app.decorate('skuCommands', skuCommands)
    app.decorate(
      'orderCommands',
      createOrderCommands({
        handle,
        // With Redis, order numbers come from it: FerretDB's counter can hand one out twice.
        sequences:
          app.redisFailFast && app.storage.kind === 'mongodb'
            ? redisSequences(
                app.redisFailFast,
                app.config.redisKeyPrefix,
                () => orderNumberFloor(app.eventStore),
                app.storage.sequences,
              )
            : app.storage.sequences,
        loadSku: (sku) => skuCommands.load(sku),
        isSalesRep: async (email) => {
          const user = await app.users.find(email)
          return user?.role === 'sales_rep' && !user.disabled
        },
      }),
    )
  },
  { name: 'commands', dependencies: ['event-store', 'event-feed', 'storage', 'users', 'redis'] },
)
