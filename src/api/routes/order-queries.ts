import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { OrderId, SkuCode } from '../../events/catalog.js'
import { ValidationError } from '../../shared/errors.js'
import { MinPosition, atReadModelPosition } from '../read-consistency.js'
import { DEFAULT_PAGE_SIZE, Email, IsoDateTime, OrderStatus, OrderView, Page, PageQuery, Problem } from '../schemas.js'

const ListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(OrderStatus),
    sales_rep: Type.Optional(Email),
    sku: Type.Optional(SkuCode),
    from: Type.Optional(Type.String({ description: 'ISO date or date-time: created at or after' })),
    to: Type.Optional(Type.String({ description: 'ISO date or date-time: created before' })),
    min_position: MinPosition,
  },
  { additionalProperties: false },
)
const OrderParams = Type.Object({ id: OrderId }, { additionalProperties: false })
const DetailQuery = Type.Object(
  {
    as_of: Type.Optional(Type.String({ description: 'ISO date-time: the order as it was then, folded from its events' })),
    min_position: MinPosition,
  },
  { additionalProperties: false },
)
const HistoryEntry = Type.Object({
  type: Type.String(),
  version: Type.Integer(),
  position: Type.Integer(),
  timestamp: IsoDateTime,
  actor: Type.String(),
  data: Type.Unknown(),
})

/** ISO date or date-time → a UTC ISO timestamp comparable with stored ones; 400 otherwise. */
function instant(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined
  const time = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(time))
    throw new ValidationError('REQUEST.VALIDATION', `Invalid ${field}`, [
      { path: `querystring/${field}`, message: 'must be an ISO-8601 date or date-time' },
    ])
  return new Date(time).toISOString()
}

/** Reading orders: lists (cursor pages, newest first), details, state as of a time, history. */
const orderQueryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/orders',
    {
      config: { auth: { can: ['read', 'Order'] } },
      schema: {
        tags: ['orders'],
        summary: 'List orders, newest first (sales reps: their own)',
        querystring: ListQuery,
        response: { 200: Page(OrderView), 400: Problem },
      },
    },
    async (request, reply) => {
      const { limit, cursor, status, sales_rep, sku, min_position } = request.query
      const from = instant(request.query.from, 'from')
      const to = instant(request.query.to, 'to')
      await atReadModelPosition(app, reply, 'orders', min_position)
      return app.orderQueries.list(
        request.ability,
        {
          ...(status ? { status } : {}),
          ...(sales_rep ? { sales_rep } : {}),
          ...(sku ? { sku } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
        },
        { limit: limit ?? DEFAULT_PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) },
      )
    },
  )

  app.get(
    '/api/orders/:id',
    {
      config: { auth: { can: ['read', 'Order'] } },
      schema: {
        tags: ['orders'],
        summary: 'One order: current state, or as of a past time',
        params: OrderParams,
        querystring: DetailQuery,
        response: { 200: OrderView, 404: Problem },
      },
    },
    async (request, reply) => {
      const asOf = instant(request.query.as_of, 'as_of')
      if (asOf !== undefined) return app.orderQueries.asOf(request.ability, request.params.id, new Date(asOf))
      await atReadModelPosition(app, reply, 'orders', request.query.min_position)
      const order = await app.orderQueries.get(request.ability, request.params.id)
      return reply.header('etag', `"${order.version}"`).send(order)
    },
  )

  app.get(
    '/api/orders/:id/history',
    {
      config: { auth: { can: ['read', 'OrderHistory'] } },
      schema: {
        tags: ['orders'],
        summary: 'The order’s events, oldest first',
        params: OrderParams,
        response: { 200: Type.Array(HistoryEntry), 404: Problem },
      },
    },
    async (request) => app.orderQueries.history(request.ability, request.params.id),
  )
}

export default orderQueryRoutes
