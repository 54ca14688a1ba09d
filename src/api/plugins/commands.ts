import fp from 'fastify-plugin'
import { type OrderCommands, createOrderCommands } from '../../commands/order-commands.js'
import { type SkuCommands, createSkuCommands } from '../../commands/sku-commands.js'
import { mongoSequences } from '../../infra/mongo-sequences.js'
import { memorySequences } from '../../infra/sequence.js'

declare module 'fastify' {
  interface FastifyInstance {
    skuCommands: SkuCommands
    orderCommands: OrderCommands
  }
}

/** The write side: SKU and order command services over the event store. */
export default fp(
  async (app) => {
    const skuCommands = createSkuCommands(app.eventStore)
    app.decorate('skuCommands', skuCommands)
    app.decorate(
      'orderCommands',
      createOrderCommands({
        store: app.eventStore,
        sequences: app.mongo ? mongoSequences(app.mongo.db) : memorySequences(),
        loadSku: (sku) => skuCommands.load(sku),
        isSalesRep: async (email) => {
          const user = await app.users.find(email)
          return user?.role === 'sales_rep' && !user.disabled
        },
      }),
    )
  },
  { name: 'commands', dependencies: ['event-store', 'mongo', 'users'] },
)
