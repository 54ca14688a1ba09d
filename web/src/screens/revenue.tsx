import { useMemo, useState } from 'preact/hooks'
import { messageOf } from '../api/client'
import type { Granularity, GroupBy, Report } from '../api/types'
import { bucketStarts } from '../components/bucket-starts'
import { RevenueChart, chartData } from '../components/revenue-chart'
import { addDays, browserZone, money, todayIn } from '../format'
import { useLoad, useSession } from '../hooks'

type Preset = 'today' | 'yesterday' | '7d' | '30d' | 'month' | 'year' | 'custom'

const PRESETS: [Preset, string][] = [
  ['today', 'Today'],
  ['yesterday', 'Yesterday'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
  ['month', 'This month'],
  ['year', 'This year'],
  ['custom', 'Custom dates'],
]

/** The dates [from, to) a preset covers, in zone `zone`. */
function rangeOf(preset: Preset, zone: string, custom: { from: string; to: string }): { from: string; to: string } {
  const today = todayIn(zone)
  const tomorrow = addDays(today, 1)
  switch (preset) {
    case 'today':
      return { from: today, to: tomorrow }
    case 'yesterday':
      return { from: addDays(today, -1), to: today }
    case '7d':
      return { from: addDays(today, -6), to: tomorrow }
    case '30d':
      return { from: addDays(today, -29), to: tomorrow }
    case 'month':
      return { from: `${today.slice(0, 8)}01`, to: tomorrow }
    case 'year':
      return { from: `${today.slice(0, 5)}01-01`, to: tomorrow }
    case 'custom':
      // The form's "to" is the last day shown; the API's `to` is exclusive.
      return { from: custom.from, to: addDays(custom.to, 1) }
    default: {
      const unknown: never = preset
      throw new Error(`unknown range ${String(unknown)}`)
    }
  }
}

const ZONES = [...new Set([browserZone, 'UTC', ...Intl.supportedValuesOf('timeZone')])]

/** Revenue per hour, day or month over a range, per currency (a chart and its table), and its CSV. */
export function RevenueScreen() {
  const { api } = useSession()
  const today = todayIn(browserZone)
  const [preset, setPreset] = useState<Preset>('today')
  const [custom, setCustom] = useState({ from: addDays(today, -6), to: today })
  const [granularity, setGranularity] = useState<Granularity>('hour')
  const [groupBy, setGroupBy] = useState<GroupBy>('none')
  const [zone, setZone] = useState(browserZone)
  const [downloadError, setDownloadError] = useState<string>()

  const range = rangeOf(preset, zone, custom)
  const query = { ...range, granularity, group_by: groupBy, tz: zone }
  const report = useLoad(
    async () => (await api.get<Report>('/api/reports/summaries', query)).body,
    [range.from, range.to, granularity, groupBy, zone],
  )

  const download = () => {
    setDownloadError(undefined)
    api.download('/api/reports/summaries', query).catch((error: unknown) => {
      setDownloadError(messageOf(error))
    })
  }

  return (
    <section aria-labelledby="revenue-title">
      <h1 id="revenue-title">Revenue</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault()
        }}
      >
        <label>
          Range
          <select
            value={preset}
            onChange={(event) => {
              setPreset(event.currentTarget.value as Preset)
            }}
            name="range"
          >
            {PRESETS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {preset === 'custom' && (
          <>
            <label>
              From
              <input
                type="date"
                name="from"
                value={custom.from}
                max={custom.to}
                onChange={(event) => {
                  setCustom({ ...custom, from: event.currentTarget.value })
                }}
              />
            </label>
            <label>
              To (included)
              <input
                type="date"
                name="to"
                value={custom.to}
                min={custom.from}
                onChange={(event) => {
                  setCustom({ ...custom, to: event.currentTarget.value })
                }}
              />
            </label>
          </>
        )}
        <label>
          By
          <select
            value={granularity}
            name="granularity"
            onChange={(event) => {
              setGranularity(event.currentTarget.value as Granularity)
            }}
          >
            <option value="hour">Hour</option>
            <option value="day">Day</option>
            <option value="month">Month</option>
          </select>
        </label>
        <label>
          Time zone
          <select
            value={zone}
            name="tz"
            onChange={(event) => {
              setZone(event.currentTarget.value)
            }}
          >
            {ZONES.map((each) => (
              <option key={each} value={each}>
                {each}
              </option>
            ))}
          </select>
        </label>
        <label>
          Group by
          <select
            value={groupBy}
            name="group_by"
            onChange={(event) => {
              setGroupBy(event.currentTarget.value as GroupBy)
            }}
          >
            <option value="none">Nothing (total)</option>
            <option value="sales_rep">Sales rep</option>
            <option value="sku">SKU</option>
          </select>
        </label>
        <button type="button" onClick={download}>
          Download CSV
        </button>
      </form>
      {downloadError && (
        <p class="error" role="alert">
          {downloadError}
        </p>
      )}
      {report.error && (
        <p class="error" role="alert">
          {report.error}
        </p>
      )}
      <div aria-busy={report.loading} data-testid="revenue" data-loading={report.loading}>
        {report.data && <ReportView report={report.data} />}
      </div>
    </section>
  )
}

function ReportView({ report }: { report: Report }) {
  const currencies = useMemo(() => report.totals.map((each) => each.currency), [report])
  if (currencies.length === 0) return <p data-testid="revenue-empty">No orders in this range.</p>
  return (
    <>
      {currencies.map((currency) => (
        <CurrencyReport key={currency} report={report} currency={currency} />
      ))}
    </>
  )
}

/** One currency's chart, and the same numbers as a table (its footer: the report's totals). */
function CurrencyReport({ report, currency }: { report: Report; currency: string }) {
  const buckets = useMemo(() => report.buckets.filter((b) => b.currency === currency), [report, currency])
  const data = useMemo(
    () => chartData(buckets, report.group_by, bucketStarts(report.from, report.to, report.granularity, report.tz)),
    [buckets, report],
  )
  const totals = report.totals.find((each) => each.currency === currency)
  const plotted = data.series.reduce((sum, each) => sum + each.values.reduce((a, b) => a + b, 0), 0)
  const group = report.group_by === 'none' ? undefined : report.group_by === 'sku' ? 'SKU' : 'Sales rep'
  const title = `Revenue in ${currency}, by ${report.granularity} (${report.tz})`
  return (
    <figure class="report" data-currency={currency} data-plotted-total={plotted}>
      <RevenueChart data={data} currency={currency} zone={report.tz} title={title} />
      <figcaption>{title}</figcaption>
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">{title}, as a table</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              {group && <th scope="col">{group}</th>}
              <th scope="col">Orders</th>
              <th scope="col">Revenue</th>
              <th scope="col">Cancelled</th>
              <th scope="col">Net</th>
            </tr>
          </thead>
          <tbody>
            {buckets.map((b) => (
              <tr key={`${b.start}|${b.sales_rep ?? b.sku ?? ''}`}>
                <td>{bucketLabel(b.start, report.granularity, report.tz)}</td>
                {group && <td>{b.sales_rep ?? b.sku}</td>}
                <td>{b.order_count}</td>
                <td data-value={b.total_amount}>{money(b.total_amount, currency)}</td>
                <td>{money(b.cancelled_amount, currency)}</td>
                <td>{money(b.net_amount, currency)}</td>
              </tr>
            ))}
          </tbody>
          {totals && (
            <tfoot>
              <tr data-testid="revenue-totals">
                <th scope="row">Total</th>
                {group && <td />}
                <td data-field="order_count" data-value={totals.order_count}>
                  {totals.order_count}
                </td>
                <td data-field="total_amount" data-value={totals.total_amount}>
                  {money(totals.total_amount, currency)}
                </td>
                <td data-field="cancelled_amount" data-value={totals.cancelled_amount}>
                  {money(totals.cancelled_amount, currency)}
                </td>
                <td data-field="net_amount" data-value={totals.net_amount}>
                  {money(totals.net_amount, currency)}
                </td>
              </tr>
            </tfoot>
          )}
        </table>
      </div>
    </figure>
  )
}

function bucketLabel(start: string, granularity: Granularity, zone: string): string {
  const options: Intl.DateTimeFormatOptions =
    granularity === 'hour'
      ? { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }
      : granularity === 'day'
        ? { dateStyle: 'medium', timeZone: zone }
        : { year: 'numeric', month: 'long', timeZone: zone }
  return new Date(start).toLocaleString(undefined, options)
}
