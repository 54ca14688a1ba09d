import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { REPORT_CSV_EXAMPLE } from '../openapi/examples.js'
import { can, operation } from '../operation.js'
import Type from 'typebox'
import { Currency, Money } from '../../events/catalog.js'
import type { CurrencyFigures, ReportBucket } from '../../queries/report-queries.js'
import { assertCurrency } from '../command-http.js'
import { type CsvColumns, decimal, fileStamp, sendCsv, wantsCsv } from '../csv-export.js'
import { MinPosition, waitForReadModel } from '../read-model-position.js'
import { ExportFormat, Problem } from '../schemas.js'

const ReportQuery = Type.Object(
  {
    from: Type.String({
      description: 'ISO date or date-time, any millisecond (inclusive); dates and offset-less times are in `tz`',
    }),
    to: Type.String({ description: 'ISO date or date-time, any millisecond (exclusive)' }),
    granularity: Type.Optional(
      Type.Union([Type.Literal('hour'), Type.Literal('day'), Type.Literal('month')], { description: 'default day' }),
    ),
    group_by: Type.Optional(
      Type.Union([Type.Literal('none'), Type.Literal('sales_rep'), Type.Literal('sku')], { description: 'default none' }),
    ),
    tz: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone, default UTC' })),
    currency: Type.Optional(Currency),
    min_position: MinPosition,
    format: ExportFormat,
  },
  { additionalProperties: false },
)
const Count = Type.Integer({ minimum: 0 })
const Figures = {
  currency: Type.String({ description: 'ISO 4217: every amount of the row is in it' }),
  order_count: Count,
  items_sold: Count,
  subtotal: Money,
  tax_amount: Money,
  total_amount: Money,
  cancelled_count: Count,
  cancelled_amount: Money,
  net_amount: Type.Integer(),
  average_order_value: Money,
}
const Bucket = Type.Object({
  start: Type.String(),
  end: Type.String(),
  sales_rep: Type.Optional(Type.String()),
  sku: Type.Optional(Type.String()),
  ...Figures,
})
const Report = Type.Object(
  {
    from: Type.String(),
    to: Type.String(),
    granularity: Type.String(),
    group_by: Type.String(),
    tz: Type.String(),
    currency: Type.Optional(Type.String()),
    buckets: Type.Array(Bucket),
    totals: Type.Array(Type.Object(Figures), { description: 'the whole range, per currency' }),
  },
  { title: 'Report' },
)

const MONEY = ['subtotal', 'tax_amount', 'total_amount', 'cancelled_amount', 'net_amount', 'average_order_value'] as const

/** The columns of a report export: a row per bucket, amounts in minor units and as decimals. */
const bucketColumns = (groupBy: 'none' | 'sales_rep' | 'sku'): CsvColumns<ReportBucket> => [
  ['start', (b) => b.start],
  ['end', (b) => b.end],
  ...(groupBy === 'none' ? [] : [[groupBy, (b: ReportBucket) => b[groupBy]] as const]),
  ['currency', (b) => b.currency],
  ['order_count', (b) => b.order_count],
  ['items_sold', (b) => b.items_sold],
  ['cancelled_count', (b) => b.cancelled_count],
  ...MONEY.map((field) => [field, (b: CurrencyFigures) => b[field]] as const),
  ...MONEY.map((field) => [`${field}_decimal`, (b: CurrencyFigures) => decimal(b[field], b.currency)] as const),
]

/** Revenue summaries (admin, auditor). */
const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/reports/summaries',
    operation(
      'getRevenueSummaries',
      can('read', 'Report'),
      {
        tags: ['reports'],
        summary: 'Revenue per hour, day or month; by sales rep or SKU',
        querystring: ReportQuery,
        response: { 200: Report, 400: Problem },
      },
      {
        description:
          'Exact for any `[from, to)`. Every row carries its `currency`: amounts in different currencies are never summed.',
        sets: ['X-Read-Model-Position'],
        csv: 'one row per bucket: start, end, the group (sales_rep or sku, when grouped), currency, the counts, the amounts in minor units, then each amount as a decimal (`…_decimal`)',
        csvExample: REPORT_CSV_EXAMPLE,
      },
    ),
    async (request, reply) => {
      const { from, to, granularity, group_by, tz, currency, min_position } = request.query
      if (currency !== undefined) assertCurrency(currency, 'querystring/currency')
      await waitForReadModel(app, reply, ['summaries', 'orders'], min_position)
      const report = await app.reportQueries.summaries({
        from,
        to,
        granularity: granularity ?? 'day',
        group_by: group_by ?? 'none',
        ...(tz === undefined ? {} : { tz }),
        ...(currency === undefined ? {} : { currency }),
      })
      if (!wantsCsv(request)) return report
      const name = `revenue-${report.granularity}-${fileStamp(new Date(report.from))}.csv`
      return sendCsv(request, reply, name, bucketColumns(report.group_by), report.buckets)
    },
  )
}

export default reportRoutes
