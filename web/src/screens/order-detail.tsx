import { useState } from 'preact/hooks'
import { messageOf } from '../api/client'
import type { HistoryEntry, Order } from '../api/types'
import { money, when } from '../format'
import { useLoad, useSession } from '../hooks'

/** `order.confirmed` → `confirmed`. */
const eventName = (type: string) => type.replace(/^order\./, '')

/** An order now, its event timeline, and the order as it was at any past instant (`as_of`). */
export function OrderDetailScreen({ orderId }: { orderId: string }) {
  const { api } = useSession()
  const path = `/api/orders/${encodeURIComponent(orderId)}`
  const order = useLoad(async () => (await api.get<Order>(path)).body, [path])
  const history = useLoad(async () => (await api.get<HistoryEntry[]>(`${path}/history`)).body, [path])

  return (
    <section aria-labelledby="order-title">
      <p>
        <a href="#/orders">← Orders</a>
      </p>
      <h1 id="order-title">Order {orderId}</h1>
      {order.error && (
        <p class="error" role="alert">
          {order.error}
        </p>
      )}
      {order.data && <OrderCard order={order.data} label="Now" testId="order-status" />}
      <h2>Timeline</h2>
      {history.error && (
        <p class="error" role="alert">
          {history.error}
        </p>
      )}
      {history.data && (
        <ol class="timeline" data-testid="timeline">
          {history.data.map((entry) => (
            <li key={entry.version} data-event={eventName(entry.type)}>
              <strong>{eventName(entry.type)}</strong> <time dateTime={entry.timestamp}>{entry.timestamp}</time>{' '}
              <span class="muted">by {entry.actor}</span>
            </li>
          ))}
        </ol>
      )}
      {history.data && history.data.length > 0 && <TimeTravel path={path} history={history.data} />}
    </section>
  )
}

/**
 * Pick an instant (a slider from the order's first event to now, an exact ISO time, or one of
 * its events) and see the order as it was then: the service folds its events up to that instant.
 */
function TimeTravel({ path, history }: { path: string; history: HistoryEntry[] }) {
  const { api } = useSession()
  const first = Date.parse(history[0]?.timestamp ?? new Date().toISOString())
  const [now] = useState(() => Math.max(Date.now(), first + 1000))
  const [instant, setInstant] = useState(() => new Date(now).toISOString())
  const [typed, setTyped] = useState(instant)
  // Each answer says which instant it is for: a slow answer for an earlier pick never passes for this one.
  const asOf = useLoad(async () => {
    try {
      return { instant, order: (await api.get<Order>(path, { as_of: instant })).body }
    } catch (failure) {
      return { instant, error: messageOf(failure) }
    }
  }, [path, instant])
  const shown = asOf.data

  const travel = (iso: string) => {
    setInstant(iso)
    setTyped(iso)
  }
  const onTyped = (event: Event) => {
    event.preventDefault()
    const ms = Date.parse(typed)
    if (!Number.isNaN(ms)) travel(new Date(ms).toISOString())
  }

  return (
    <section class="time-travel" aria-labelledby="travel-title">
      <h2 id="travel-title">Time travel</h2>
      <label>
        Instant: <output data-testid="as-of-instant">{instant}</output>
        <input
          type="range"
          name="instant-slider"
          min={first - 1000}
          max={now}
          step={1}
          value={Date.parse(instant)}
          aria-valuetext={instant}
          onInput={(event) => {
            travel(new Date(Number(event.currentTarget.value)).toISOString())
          }}
        />
      </label>
      <form class="filters" onSubmit={onTyped}>
        <label>
          Exact instant (ISO 8601)
          <input
            type="text"
            name="as_of"
            value={typed}
            onInput={(event) => {
              setTyped(event.currentTarget.value)
            }}
          />
        </label>
        <button type="submit">Show</button>
      </form>
      <p>Or jump to an event:</p>
      <ul class="jumps">
        {history.map((entry) => (
          <li key={entry.version}>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                travel(entry.timestamp)
              }}
            >
              {eventName(entry.type)} at {when(entry.timestamp)}
            </button>
          </li>
        ))}
      </ul>
      <div aria-live="polite" data-testid="as-of" data-instant={shown?.instant}>
        {shown?.error !== undefined && (
          <p class="notice" data-testid="as-of-status" data-status="none">
            {shown.error}
          </p>
        )}
        {shown?.order && <OrderCard order={shown.order} label={`As of ${shown.instant}`} testId="as-of-status" />}
      </div>
    </section>
  )
}

function OrderCard({ order, label, testId }: { order: Order; label: string; testId: string }) {
  return (
    <div class="order-card">
      <p>
        <span class="muted">{label}: </span>
        <span class={`status status-${order.status}`} data-testid={testId} data-status={order.status}>
          {order.status}
        </span>{' '}
        · {money(order.total_amount, order.currency)} · {order.customer.name} · {order.sales_rep}
        {order.cancel_reason && <> · cancelled: {order.cancel_reason}</>}
      </p>
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">Items</caption>
          <thead>
            <tr>
              <th scope="col">SKU</th>
              <th scope="col">Name</th>
              <th scope="col" class="num">
                Quantity
              </th>
              <th scope="col" class="num">
                Line total
              </th>
            </tr>
          </thead>
          <tbody>
            {order.items.map((item) => (
              <tr key={item.sku}>
                <td>{item.sku}</td>
                <td>{item.name}</td>
                <td class="num">{item.quantity}</td>
                <td class="num">{money(item.line_total, order.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}
