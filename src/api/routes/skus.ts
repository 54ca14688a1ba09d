import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { Currency, Money, SkuCode, TaxRate } from '../../events/catalog.js'
import { isCurrency } from '../../shared/currency.js'
import { ValidationError } from '../../shared/errors.js'
import { commandContext, idempotencyOf, ifMatchOf, versionHeaders } from '../command-http.js'
import { Name, Problem, SkuView } from '../schemas.js'

const NewSku = Type.Object(
  { sku: SkuCode, name: Name, unit_price: Money, currency: Currency, tax_rate_bp: TaxRate },
  { additionalProperties: false },
)
const SkuChanges = Type.Object(
  { name: Type.Optional(Name), unit_price: Type.Optional(Money), tax_rate_bp: Type.Optional(TaxRate) },
  { additionalProperties: false, minProperties: 1 },
)
const Deactivation = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { additionalProperties: false },
)
const SkuParams = Type.Object({ sku: SkuCode }, { additionalProperties: false })
const errors = { 400: Problem, 404: Problem, 409: Problem, 412: Problem }

/** The catalogue's commands: create (admin, sales rep), change, deactivate, reactivate (admin). */
const skuCommandRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/skus',
    {
      config: { auth: { can: ['create', 'Sku'] } },
      schema: {
        tags: ['skus'],
        summary: 'Create a SKU (Idempotency-Key honoured)',
        body: NewSku,
        response: { 201: SkuView, ...errors, 422: Problem },
      },
    },
    async (request, reply) => {
      if (!isCurrency(request.body.currency)) {
        throw new ValidationError('REQUEST.VALIDATION', 'Unknown currency', [
          { path: 'body/currency', message: 'is not an ISO 4217 currency code' },
        ])
      }
      const { sku, replayed } = await app.skuCommands.create(
        request.body,
        commandContext(request),
        idempotencyOf(request, 'POST /api/skus'),
      )
      return versionHeaders(reply, sku.version, replayed).code(201).header('location', `/api/skus/${sku.sku}`).send(sku)
    },
  )

  app.patch(
    '/api/skus/:sku',
    {
      config: { auth: { can: ['update', 'Sku'] } },
      schema: {
        tags: ['skus'],
        summary: 'Change name, price or tax rate (records only what changes)',
        params: SkuParams,
        body: SkuChanges,
        response: { 200: SkuView, ...errors },
      },
    },
    async (request, reply) => {
      const sku = await app.skuCommands.change(
        { type: 'UpdateSku', data: { sku: request.params.sku, changes: request.body } },
        commandContext(request),
        ifMatchOf(request),
      )
      return versionHeaders(reply, sku.version).send(sku)
    },
  )

  app.post(
    '/api/skus/:sku/deactivate',
    {
      config: { auth: { can: ['update', 'Sku'] } },
      schema: {
        tags: ['skus'],
        summary: 'Take a SKU off sale',
        params: SkuParams,
        body: Deactivation,
        response: { 200: SkuView, ...errors },
      },
    },
    async (request, reply) => {
      const reason = request.body.reason
      const sku = await app.skuCommands.change(
        { type: 'DeactivateSku', data: { sku: request.params.sku, ...(reason === undefined ? {} : { reason }) } },
        commandContext(request),
        ifMatchOf(request),
      )
      return versionHeaders(reply, sku.version).send(sku)
    },
  )

  app.post(
    '/api/skus/:sku/reactivate',
    {
      config: { auth: { can: ['update', 'Sku'] } },
      schema: {
        tags: ['skus'],
        summary: 'Put a SKU back on sale',
        params: SkuParams,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: SkuView, ...errors },
      },
    },
    async (request, reply) => {
      const sku = await app.skuCommands.change(
        { type: 'ReactivateSku', data: { sku: request.params.sku } },
        commandContext(request),
        ifMatchOf(request),
      )
      return versionHeaders(reply, sku.version).send(sku)
    },
  )
}

export default skuCommandRoutes
