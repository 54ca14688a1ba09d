import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import type { SkuChange } from '../../commands/sku-commands.js'
import { Currency, Money, SkuCode, TaxRate } from '../../events/catalog.js'
import { assertCurrency, commandContext, idempotencyOf, ifMatchOf, versionHeaders } from '../command-http.js'
import { can, operation } from '../operation.js'
import { MinPosition, waitForReadModel } from '../read-model-position.js'
import { DEFAULT_PAGE_SIZE, Name, Page, PageQuery, Problem, Sku, Text } from '../schemas.js'

const NewSku = Type.Object(
  { sku: SkuCode, name: Name, unit_price: Money, currency: Currency, tax_rate_bp: TaxRate },
  { additionalProperties: false },
)
const SkuChanges = Type.Object(
  { name: Type.Optional(Name), unit_price: Type.Optional(Money), tax_rate_bp: Type.Optional(TaxRate) },
  { additionalProperties: false, minProperties: 1 },
)
const Deactivation = Type.Object({ reason: Type.Optional(Text(500)) }, { additionalProperties: false })
const errors = { 400: Problem, 404: Problem, 409: Problem, 412: Problem }
/** What the SKU routes' own problem answers mean. */
const PROBLEMS = {
  404: 'No such SKU (`SKU.NOT_FOUND`)',
  409: 'The code is taken (`SKU.EXISTS`), the SKU is already in that state (`SKU.ILLEGAL_TRANSITION`), or it changed concurrently (`STREAM.*`)',
  412: '`If-Match` names another version than the current one (`REQUEST.VERSION_MISMATCH`, with `current_version`)',
  422: 'The `Idempotency-Key` was used with another body (`REQUEST.IDEMPOTENCY_KEY_REUSED`)',
}
/** What a change of an existing SKU reads and answers. */
const CHANGE = { reads: ['If-Match', 'Idempotency-Key'], sets: ['ETag', 'Idempotent-Replayed'], problems: PROBLEMS } as const
const ListQuery = Type.Object(
  { ...PageQuery, active: Type.Optional(Type.Boolean()), min_position: MinPosition },
  { additionalProperties: false },
)
const SkuParams = Type.Object({ sku: SkuCode }, { additionalProperties: false })

/** The catalogue: create (admin, sales rep), change, deactivate, reactivate (admin); lists and details (any role). */
const skuRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /**
   * Runs a change of an existing SKU (`If-Match` and `Idempotency-Key` honoured) and answers
   * with the SKU and its ETag.
   */
  const change = async (request: FastifyRequest, reply: FastifyReply, command: SkuChange) => {
    const { sku, replayed } = await app.skuCommands.change(
      command,
      commandContext(request),
      ifMatchOf(request),
      idempotencyOf(request),
    )
    return versionHeaders(reply, sku.version, replayed).send(sku)
  }

  app.post(
    '/api/skus',
    operation(
      'createSku',
      can('create', 'Sku'),
      {
        tags: ['skus'],
        summary: 'Create a SKU (Idempotency-Key honoured)',
        body: NewSku,
        response: { 201: Sku, 400: Problem, 409: Problem, 422: Problem },
      },
      { reads: ['Idempotency-Key'], sets: ['ETag', 'Location', 'Idempotent-Replayed'], problems: PROBLEMS },
    ),
    async (request, reply) => {
      assertCurrency(request.body.currency)
      const { sku, replayed } = await app.skuCommands.create(request.body, commandContext(request), idempotencyOf(request))
      return versionHeaders(reply, sku.version, replayed).code(201).header('location', `/api/skus/${sku.sku}`).send(sku)
    },
  )

  app.patch(
    '/api/skus/:sku',
    operation(
      'updateSku',
      can('update', 'Sku'),
      {
        tags: ['skus'],
        summary: 'Change name, price or tax rate (records only what changes)',
        params: SkuParams,
        body: SkuChanges,
        response: { 200: Sku, ...errors },
      },
      CHANGE,
    ),
    async (request, reply) =>
      change(request, reply, { type: 'UpdateSku', data: { sku: request.params.sku, changes: request.body } }),
  )

  app.post(
    '/api/skus/:sku/deactivate',
    operation(
      'deactivateSku',
      can('update', 'Sku'),
      {
        tags: ['skus'],
        summary: 'Take a SKU off sale',
        params: SkuParams,
        body: Deactivation,
        response: { 200: Sku, ...errors },
      },
      CHANGE,
    ),
    async (request, reply) => {
      const { reason } = request.body
      return change(request, reply, {
        type: 'DeactivateSku',
        data: { sku: request.params.sku, ...(reason === undefined ? {} : { reason }) },
      })
    },
  )

  app.post(
    '/api/skus/:sku/reactivate',
    operation(
      'reactivateSku',
      can('update', 'Sku'),
      {
        tags: ['skus'],
        summary: 'Put a SKU back on sale',
        params: SkuParams,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: Sku, ...errors },
      },
      CHANGE,
    ),
    async (request, reply) => change(request, reply, { type: 'ReactivateSku', data: { sku: request.params.sku } }),
  )

  app.get(
    '/api/skus',
    operation(
      'listSkus',
      can('read', 'Sku'),
      {
        tags: ['skus'],
        summary: 'List SKUs, newest first (filter `active`)',
        querystring: ListQuery,
        response: { 200: Page(Sku, 'SkuPage'), 400: Problem },
      },
      { sets: ['X-Read-Model-Position'] },
    ),
    async (request, reply) => {
      const { limit, cursor, active, min_position } = request.query
      await waitForReadModel(app, reply, 'skus', min_position)
      return app.skuQueries.list(active === undefined ? {} : { active }, {
        limit: limit ?? DEFAULT_PAGE_SIZE,
        ...(cursor === undefined ? {} : { cursor }),
      })
    },
  )

  app.get(
    '/api/skus/:sku',
    operation(
      'getSku',
      can('read', 'Sku'),
      {
        tags: ['skus'],
        summary: 'One SKU',
        params: SkuParams,
        querystring: Type.Object({ min_position: MinPosition }, { additionalProperties: false }),
        response: { 200: Sku, 404: Problem },
      },
      { sets: ['ETag', 'X-Read-Model-Position'], problems: PROBLEMS },
    ),
    async (request, reply) => {
      await waitForReadModel(app, reply, 'skus', request.query.min_position)
      const sku = await app.skuQueries.get(request.params.sku)
      return reply.header('etag', `"${sku.version}"`).send(sku)
    },
  )
}

export default skuRoutes
