import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { can, operation } from '../operation.js'
import Type from 'typebox'
import { Money } from '../../events/catalog.js'
import { MinPosition, waitForReadModel } from '../read-model-position.js'
import { Problem } from '../schemas.js'

const ReportQuery = Type.Object(
  {
    from: Type.String({ description: 'ISO date or date-time (inclusive); dates and offset-less times are in `tz`' }),
    to: Type.String({ description: 'ISO date or date-time (exclusive)' }),
    granularity: Type.Optional(
      Type.Union([Type.Literal('hour'), Type.Literal('day'), Type.Literal('month')], { description: 'default day' }),
    ),
    group_by: Type.Optional(
      Type.Union([Type.Literal('none'), Type.Literal('sales_rep'), Type.Literal('sku')], { description: 'default none' }),
    ),
    tz: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone, default UTC' })),
    min_position: MinPosition,
  },
  { additionalProperties: false },
)
const Count = Type.Integer({ minimum: 0 })
const Bucket = Type.Object({
  start: Type.String(),
  end: Type.String(),
  sales_rep: Type.Optional(Type.String()),
  sku: Type.Optional(Type.String()),
  order_count: Count,
  items_sold: Count,
  subtotal: Money,
  tax_amount: Money,
  total_amount: Money,
  cancelled_count: Count,
  cancelled_amount: Money,
  net_amount: Type.Integer(),
  average_order_value: Money,
})
const Report = Type.Object({
  from: Type.String(),
  to: Type.String(),
  granularity: Type.String(),
  group_by: Type.String(),
  tz: Type.String(),
  buckets: Type.Array(Bucket),
})

/** Revenue summaries (admin, auditor). */
const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/reports/summaries',
    operation('getRevenueSummaries', can('read', 'Report'), {
      tags: ['reports'],
      summary: 'Revenue per hour, day or month; by sales rep or SKU',
      querystring: ReportQuery,
      response: { 200: Report, 400: Problem },
    }),
    async (request, reply) => {
      const { from, to, granularity, group_by, tz, min_position } = request.query
      await waitForReadModel(app, reply, 'summaries', min_position)
      return app.reportQueries.summaries({
        from,
        to,
        granularity: granularity ?? 'day',
        group_by: group_by ?? 'none',
        ...(tz === undefined ? {} : { tz }),
      })
    },
  )
}

export default reportRoutes
