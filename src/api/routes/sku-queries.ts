import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { SkuCode } from '../../events/catalog.js'
import { MinPosition, atReadModelPosition } from '../read-consistency.js'
import { DEFAULT_PAGE_SIZE, Page, PageQuery, Problem, SkuView } from '../schemas.js'

const ListQuery = Type.Object(
  { ...PageQuery, active: Type.Optional(Type.Boolean()), min_position: MinPosition },
  { additionalProperties: false },
)
const SkuParams = Type.Object({ sku: SkuCode }, { additionalProperties: false })

/** Reading the catalogue (any role). */
const skuQueryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/skus',
    {
      config: { auth: { can: ['read', 'Sku'] } },
      schema: {
        tags: ['skus'],
        summary: 'List SKUs, newest first (filter `active`)',
        querystring: ListQuery,
        response: { 200: Page(SkuView) },
      },
    },
    async (request, reply) => {
      const { limit, cursor, active, min_position } = request.query
      await atReadModelPosition(app, reply, 'skus', min_position)
      return app.skuQueries.list(active === undefined ? {} : { active }, {
        limit: limit ?? DEFAULT_PAGE_SIZE,
        ...(cursor === undefined ? {} : { cursor }),
      })
    },
  )

  app.get(
    '/api/skus/:sku',
    {
      config: { auth: { can: ['read', 'Sku'] } },
      schema: {
        tags: ['skus'],
        summary: 'One SKU',
        params: SkuParams,
        querystring: Type.Object({ min_position: MinPosition }, { additionalProperties: false }),
        response: { 200: SkuView, 404: Problem },
      },
    },
    async (request, reply) => {
      await atReadModelPosition(app, reply, 'skus', request.query.min_position)
      const sku = await app.skuQueries.get(request.params.sku)
      return reply.header('etag', `"${sku.version}"`).send(sku)
    },
  )
}

export default skuQueryRoutes
