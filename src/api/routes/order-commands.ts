import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type, { type Static } from 'typebox'
import { MAX_ITEMS, MAX_QUANTITY, type OrderCommand } from '../../commands/order/decider.js'
import { Currency, OrderId, SkuCode } from '../../events/catalog.js'
import { isCurrency } from '../../shared/currency.js'
import { ValidationError } from '../../shared/errors.js'
import { commandContext, idempotencyOf, ifMatchOf, versionHeaders } from '../command-http.js'
import { Email, Name, OrderView, Problem } from '../schemas.js'

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
    carrier: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    tracking_number: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
)
const Cancellation = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false })
const NoBody = Type.Object({}, { additionalProperties: false })
const errors = { 400: Problem, 403: Problem, 404: Problem, 409: Problem, 412: Problem }

/** Placing orders and their lifecycle: confirm → ship → deliver, or cancel. */
const orderCommandRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/orders',
    {
      config: { auth: { can: ['create', 'Order'] } },
      schema: {
        tags: ['orders'],
        summary: 'Place an order (prices from the catalogue; Idempotency-Key honoured)',
        body: NewOrder,
        response: { 201: OrderView, ...errors, 422: Problem },
      },
    },
    async (request, reply) => {
      if (request.body.currency !== undefined && !isCurrency(request.body.currency)) {
        throw new ValidationError('REQUEST.VALIDATION', 'Unknown currency', [
          { path: 'body/currency', message: 'is not an ISO 4217 currency code' },
        ])
      }
      const principal = request.principal
      if (!principal) throw new Error('unreachable: route requires a principal')
      const { order, replayed } = await app.orderCommands.place(
        request.body,
        principal,
        commandContext(request),
        idempotencyOf(request, 'POST /api/orders'),
      )
      return versionHeaders(reply, order.version, replayed)
        .code(201)
        .header('location', `/api/orders/${order.order_id}`)
        .send(order)
    },
  )

  type Lifecycle = Exclude<OrderCommand, { type: 'PlaceOrder' }>
  const lifecycle = <Body extends typeof NoBody | typeof Shipment | typeof Cancellation>(
    action: 'confirm' | 'ship' | 'deliver' | 'cancel',
    body: Body,
    command: (orderId: string, body: Static<Body>) => Lifecycle,
  ) => {
    app.post(
      `/api/orders/:id/${action}`,
      {
        config: { auth: { can: [action, 'Order'] } },
        schema: {
          tags: ['orders'],
          summary: `${action[0]?.toUpperCase()}${action.slice(1)} an order (If-Match optional)`,
          params: OrderParams,
          body,
          response: { 200: OrderView, ...errors },
        },
      },
      async (request, reply) => {
        const order = await app.orderCommands.transition(
          command(request.params.id, request.body as Static<Body>),
          request.ability,
          commandContext(request),
          ifMatchOf(request),
        )
        return versionHeaders(reply, order.version).send(order)
      },
    )
  }

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
}

export default orderCommandRoutes
