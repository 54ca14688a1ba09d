import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { DateTime } from 'luxon'
import Type, { type Static } from 'typebox'
import { type LifecycleCommand, MAX_ITEMS, MAX_QUANTITY, type OrderAction } from '../../commands/order/decider.js'
import { Currency, OrderId, SkuCode } from '../../events/catalog.js'
import type { OrderReadModel } from '../../projections/orders-projection.js'
import type { OrderListFilter } from '../../queries/order-queries.js'
import { parseInstantParam, parseRange } from '../../shared/instant.js'
import { type CsvColumns, decimal, fileStamp, sendCsv, wantsCsv } from '../csv-export.js'
import { assertCurrency, commandContext, idempotencyOf, ifMatchOf, versionHeaders } from '../command-http.js'
import { ORDERS_CSV_EXAMPLE } from '../openapi/examples.js'
import { can, operation } from '../operation.js'
import { MinPosition, waitForReadModel } from '../read-model-position.js'
import {
  DEFAULT_PAGE_SIZE,
  Email,
  ExportFormat,
  IsoDateTime,
  Name,
  NoQuery,
  Order,
  OrderStatus,
  Page,
  PageQuery,
  Problem,
  Text,
} from '../schemas.js'

/** The body of `POST /api/orders`. */
export const NewOrder = Type.Object(
  {
    customer: Type.Object({ name: Name, email: Type.Optional(Email) }, { additionalProperties: false }),
    items: Type.Array(
      Type.Object(
        { sku: SkuCode, quantity: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_ITEMS },
    ),
    currency: Type.Optional(Currency),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
    sales_rep: Type.Optional(Email),
  },
  { additionalProperties: false },
)
const OrderParams = Type.Object({ id: OrderId }, { additionalProperties: false })
const Shipment = Type.Object(
  {
    carrier: Type.Optional(Text(100)),
    tracking_number: Type.Optional(Text(100)),
  },
  { additionalProperties: false },
)
const Cancellation = Type.Object({ reason: Text(500) }, { additionalProperties: false })
const NoBody = Type.Object({}, { additionalProperties: false })
const errors = { 400: Problem, 403: Problem, 404: Problem, 409: Problem, 412: Problem }
/** What the order routes' own problem answers mean. */
const PROBLEMS = {
  404: 'No such order, or not one of the calling sales rep’s (`ORDER.NOT_FOUND`)',
  409: 'Not allowed from the order’s status (`ORDER.ILLEGAL_TRANSITION`, with `current_status`), or changed concurrently (`STREAM.CONCURRENT_CHANGE`, `STREAM.CONCURRENCY`): reload and retry',
  412: '`If-Match` names another version than the current one (`REQUEST.VERSION_MISMATCH`, with `current_version`)',
  422: 'A rule refuses the order (`ORDER.UNAVAILABLE_SKU`, `ORDER.MIXED_CURRENCIES`, `ORDER.UNKNOWN_SALES_REP`…, each offending item in `errors`), or the `Idempotency-Key` was used with another body (`REQUEST.IDEMPOTENCY_KEY_REUSED`)',
}
const ListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(OrderStatus),
    sales_rep: Type.Optional(Email),
    sku: Type.Optional(SkuCode),
    customer: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "a prefix of the customer's e-mail or name, any case" }),
    ),
    from: Type.Optional(Type.String({ description: 'ISO date or date-time: created at or after' })),
    to: Type.Optional(Type.String({ description: 'ISO date or date-time: created before' })),
    min_position: MinPosition,
    format: ExportFormat,
  },
  { additionalProperties: false },
)
const DetailQuery = Type.Object(
  {
    as_of: Type.Optional(Type.String({ description: 'ISO date-time: the order as it was then, folded from its events' })),
    min_position: MinPosition,
  },
  { additionalProperties: false },
)
const HistoryEntry = Type.Object(
  {
    type: Type.String({ description: 'the event type, e.g. order.confirmed' }),
    version: Type.Integer(),
    position: Type.Integer(),
    timestamp: IsoDateTime,
    actor: Type.String(),
    data: Type.Unknown({ description: 'the event’s data, by type (see the AsyncAPI document’s event schemas)' }),
  },
  { title: 'OrderHistoryEntry' },
)

/** The orders of an export: every page of the list, one at a time. */
const EXPORT_PAGE_SIZE = 200

/** The columns of an orders export: amounts in minor units and as decimals of their currency. */
const ORDER_COLUMNS: CsvColumns<OrderReadModel> = [
  ['order_id', (o) => o.order_id],
  ['status', (o) => o.status],
  ['created_at', (o) => o.created_at],
  ['sales_rep', (o) => o.sales_rep],
  ['customer_name', (o) => o.customer.name],
  ['customer_email', (o) => o.customer.email],
  ['currency', (o) => o.currency],
  ['items', (o) => o.items.length],
  ['skus', (o) => o.skus.join(' ')],
  ['subtotal', (o) => o.subtotal],
  ['tax_amount', (o) => o.tax_amount],
  ['total_amount', (o) => o.total_amount],
  ['subtotal_decimal', (o) => decimal(o.subtotal, o.currency)],
  ['tax_amount_decimal', (o) => decimal(o.tax_amount, o.currency)],
  ['total_amount_decimal', (o) => decimal(o.total_amount, o.currency)],
  ['confirmed_at', (o) => o.confirmed_at],
  ['shipped_at', (o) => o.shipped_at],
  ['delivered_at', (o) => o.delivered_at],
  ['cancelled_at', (o) => o.cancelled_at],
  ['cancel_reason', (o) => o.cancel_reason],
  ['carrier', (o) => o.carrier],
  ['tracking_number', (o) => o.tracking_number],
  ['notes', (o) => o.notes],
]

/** An instant as a UTC ISO timestamp, comparable with stored ones. */
const utc = (value: DateTime | undefined) => value?.toUTC().toISO() ?? undefined

/** Orders: placing them, their lifecycle (confirm → ship → deliver, or cancel), lists, details, state as of a time, history. */
const orderRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /** A lifecycle route: `POST /api/orders/:id/<action>` runs the command its body makes (`If-Match` honoured). */
  const lifecycle = <Body extends typeof NoBody | typeof Shipment | typeof Cancellation>(
    action: OrderAction,
    body: Body,
    command: (orderId: string, body: Static<Body>) => LifecycleCommand,
  ) => {
    app.post(
      `/api/orders/:id/${action}`,
      operation(
        `${action}Order`,
        can(action, 'Order'),
        {
          tags: ['orders'],
          summary: `${action[0]?.toUpperCase()}${action.slice(1)} an order (If-Match optional; Idempotency-Key honoured)`,
          params: OrderParams,
          body,
          response: { 200: Order, ...errors },
        },
        { reads: ['If-Match', 'Idempotency-Key'], sets: ['ETag', 'Idempotent-Replayed'], problems: PROBLEMS },
      ),
      async (request, reply) => {
        const { order, replayed } = await app.orderCommands.transition(
          command(request.params.id, request.body as Static<Body>),
          request.ability,
          commandContext(request),
          ifMatchOf(request),
          idempotencyOf(request),
        )
        return versionHeaders(reply, order.version, replayed).send(order)
      },
    )
  }

  app.post(
    '/api/orders',
    operation(
      'placeOrder',
      can('create', 'Order'),
      {
        tags: ['orders'],
        summary: 'Place an order (prices from the catalogue; Idempotency-Key honoured)',
        body: NewOrder,
        response: { 201: Order, 400: Problem, 403: Problem, 422: Problem },
      },
      {
        description:
          'Prices and tax rates come from the catalogue, never from the client. A sales rep places orders as itself; an admin must name an existing sales rep in `sales_rep`. The answer’s `position` can be passed as `min_position` to a read that must see the order.',
        reads: ['Idempotency-Key'],
        sets: ['ETag', 'Location', 'Idempotent-Replayed'],
        problems: PROBLEMS,
      },
    ),
    async (request, reply) => {
      if (request.body.currency !== undefined) assertCurrency(request.body.currency)
      const principal = request.principal
      if (!principal) throw new Error('unreachable: route requires a principal')
      const { order, replayed } = await app.orderCommands.place(
        request.body,
        principal,
        commandContext(request),
        idempotencyOf(request),
      )
      return versionHeaders(reply, order.version, replayed)
        .code(201)
        .header('location', `/api/orders/${order.order_id}`)
        .send(order)
    },
  )

  lifecycle('confirm', NoBody, (order_id) => ({ type: 'ConfirmOrder', data: { order_id } }))
  lifecycle('ship', Shipment, (order_id, body) => ({
    type: 'ShipOrder',
    data: { order_id, ...body },
  }))
  lifecycle('deliver', NoBody, (order_id) => ({ type: 'DeliverOrder', data: { order_id } }))
  lifecycle('cancel', Cancellation, (order_id, body) => ({
    type: 'CancelOrder',
    data: { order_id, reason: body.reason },
  }))

  app.get(
    '/api/orders',
    operation(
      'listOrders',
      can('read', 'Order'),
      {
        tags: ['orders'],
        summary: 'List orders, newest first (sales reps: their own)',
        querystring: ListQuery,
        response: { 200: Page(Order, 'OrderPage'), 400: Problem },
      },
      {
        sets: ['X-Read-Model-Position'],
        csv: `every matching order (all pages, streamed): ${ORDER_COLUMNS.map(([header]) => header).join(', ')}`,
        csvExample: ORDERS_CSV_EXAMPLE,
      },
    ),
    async (request, reply) => {
      const { limit, cursor, status, sales_rep, sku, customer, min_position } = request.query
      const range = parseRange(request.query)
      const from = utc(range.from)
      const to = utc(range.to)
      const filter: OrderListFilter = {
        ...(status ? { status } : {}),
        ...(sales_rep ? { sales_rep } : {}),
        ...(sku ? { sku } : {}),
        ...(customer ? { customer } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      }
      await waitForReadModel(app, reply, 'orders', min_position)
      if (wantsCsv(request)) {
        const { ability } = request
        const pages = async function* () {
          let next: string | null | undefined
          do {
            const page = await app.orderQueries.list(ability, filter, {
              limit: EXPORT_PAGE_SIZE,
              ...(next ? { cursor: next } : {}),
            })
            yield* page.items
            next = page.next_cursor
          } while (next)
        }
        return sendCsv(request, reply, `orders-${fileStamp()}.csv`, ORDER_COLUMNS, pages())
      }
      return app.orderQueries.list(request.ability, filter, {
        limit: limit ?? DEFAULT_PAGE_SIZE,
        ...(cursor === undefined ? {} : { cursor }),
      })
    },
  )

  app.get(
    '/api/orders/:id',
    operation(
      'getOrder',
      can('read', 'Order'),
      {
        tags: ['orders'],
        summary: 'One order: current state, or as of a past time',
        params: OrderParams,
        querystring: DetailQuery,
        response: { 200: Order, 404: Problem },
      },
      { sets: ['ETag', 'X-Read-Model-Position'], problems: PROBLEMS },
    ),
    async (request, reply) => {
      const asOf = parseInstantParam(request.query.as_of, 'as_of')
      if (asOf) return app.orderQueries.asOf(request.ability, request.params.id, asOf.toJSDate())
      await waitForReadModel(app, reply, 'orders', request.query.min_position)
      const order = await app.orderQueries.get(request.ability, request.params.id)
      return reply.header('etag', `"${order.version}"`).send(order)
    },
  )

  app.get(
    '/api/orders/:id/history',
    operation(
      'getOrderHistory',
      can('read', 'OrderHistory'),
      {
        tags: ['orders'],
        summary: 'The order’s events, oldest first',
        params: OrderParams,
        querystring: NoQuery,
        response: { 200: Type.Array(HistoryEntry), 400: Problem, 404: Problem },
      },
      { problems: PROBLEMS },
    ),
    async (request) => app.orderQueries.history(request.ability, request.params.id),
  )
}

export default orderRoutes
