import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { messageOf } from '../api/client'
import type { FeedEvent, Figures, Order, OrderStatus, Page } from '../api/types'
import { money, when } from '../format'
import { useSession } from '../hooks'
import { type FeedEventName, describeFeed, useLiveFeed } from '../live-feed'
import { todaysReport } from '../today'

/** How many of the latest orders the screen keeps. */
const SHOWN = 25
/** Today's figures are re-read from the service this long after the last event of a burst. */
const REFRESH_AFTER_MS = 400

/** An order as the Live screen lists it (from the list, or from a `new_order` event). */
interface LiveOrder {
  order_id: string
  created_at: string
  customer: string
  sales_rep: string
  currency: string
  total_amount: number
  status: OrderStatus
  fresh: boolean
}

const STATUS_OF: Record<string, OrderStatus | undefined> = {
  'order.confirmed': 'confirmed',
  'order.shipped': 'shipped',
  'order.delivered': 'delivered',
  'order.cancelled': 'cancelled',
}

function fromList(order: Order): LiveOrder {
  return { ...order, customer: order.customer.name, fresh: false }
}

function fromEvent(event: FeedEvent): LiveOrder | undefined {
  const { order_id, total_amount, sales_rep, currency, customer } = event.data
  if (order_id === undefined || total_amount === undefined || currency === undefined) return undefined
  return {
    order_id,
    created_at: event.metadata.timestamp,
    customer: customer?.name ?? '',
    sales_rep: sales_rep ?? '',
    currency,
    total_amount,
    status: 'created',
    fresh: true,
  }
}

/**
 * Orders as they are placed, and today's count and revenue per currency. The list and the
 * figures come from the API; the feed then resumes after the position they reflect, so nothing
 * placed in between is missed, and today's figures are re-read (at least as recent as the last
 * event) after each burst of events.
 */
export function LiveScreen() {
  const { session, api } = useSession()
  const [orders, setOrders] = useState<LiveOrder[]>([])
  const [today, setToday] = useState<Figures[]>()
  const [error, setError] = useState<string>()
  const [loaded, setLoaded] = useState(false)
  const position = useRef<number | undefined>(undefined)
  const refresh = useRef<ReturnType<typeof setTimeout>>(undefined)

  const load = useCallback(async () => {
    try {
      const [list, report] = await Promise.all([api.get<Page<Order>>('/api/orders', { limit: SHOWN }), todaysReport(api)])
      const at = Number(list.headers.get('x-read-model-position'))
      position.current = Number.isFinite(at) ? at : undefined
      setOrders(list.body.items.map(fromList))
      setToday(report.totals)
      setError(undefined)
      setLoaded(true)
    } catch (failure) {
      setError(messageOf(failure))
    }
  }, [api])

  useEffect(() => {
    void load()
    return () => {
      clearTimeout(refresh.current)
    }
  }, [load])

  const refreshToday = (minPosition: number) => {
    clearTimeout(refresh.current)
    refresh.current = setTimeout(() => {
      todaysReport(api, minPosition).then(
        (report) => {
          setToday(report.totals)
        },
        (failure: unknown) => {
          setError(messageOf(failure))
        },
      )
    }, REFRESH_AFTER_MS)
  }

  const onEvent = (name: FeedEventName, event: FeedEvent) => {
    position.current = Math.max(position.current ?? 0, event.position)
    if (name === 'new_order') {
      const order = fromEvent(event)
      if (!order) return
      setOrders((shown) => (shown.some((each) => each.order_id === order.order_id) ? shown : [order, ...shown].slice(0, SHOWN)))
      // Counted at once; the re-read below then replaces the figures with the service's.
      setToday((figures) => addOrder(figures ?? [], order))
    } else if (name === 'order_event') {
      const status = STATUS_OF[event.type]
      const id = event.data.order_id
      if (status && id !== undefined)
        setOrders((shown) => shown.map((each) => (each.order_id === id ? { ...each, status } : each)))
    }
    if (name !== 'sku_event') refreshToday(event.position)
  }

  const feed = useLiveFeed(session.token, loaded, {
    after: () => position.current,
    onEvent,
    onResync: () => void load(),
    onSignedOut: (message) => {
      setError(`The live feed ended: ${message}`)
    },
  })

  return (
    <section aria-labelledby="live-title">
      <div class="title-row">
        <h1 id="live-title">Live</h1>
        <p class={`feed feed-${feed.kind}`} role="status" data-testid="feed-state" data-state={feed.kind}>
          {describeFeed(feed)}
        </p>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <h2>Today</h2>
      <TodayFigures figures={today} />
      <h2 id="latest-title">Latest orders</h2>
      {loaded && orders.length === 0 && <p>No orders yet. New ones appear here as they are placed.</p>}
      <ol class="live-orders" aria-labelledby="latest-title" aria-live="polite" data-testid="live-orders">
        {orders.map((order) => (
          <li key={order.order_id} class={order.fresh ? 'fresh' : undefined} data-order-id={order.order_id}>
            <a href={`#/orders/${order.order_id}`}>{order.order_id}</a>
            <span class="amount">{money(order.total_amount, order.currency)}</span>
            <span>{order.customer}</span>
            <span class="muted">{order.sales_rep}</span>
            <span class={`status status-${order.status}`}>{order.status}</span>
            <time dateTime={order.created_at}>{when(order.created_at)}</time>
          </li>
        ))}
      </ol>
    </section>
  )
}

function addOrder(figures: Figures[], order: LiveOrder): Figures[] {
  const found = figures.some((each) => each.currency === order.currency)
  const empty: Figures = {
    currency: order.currency,
    order_count: 0,
    items_sold: 0,
    subtotal: 0,
    tax_amount: 0,
    total_amount: 0,
    cancelled_count: 0,
    cancelled_amount: 0,
    net_amount: 0,
    average_order_value: 0,
  }
  return (found ? figures : [...figures, empty]).map((each) =>
    each.currency === order.currency
      ? {
          ...each,
          order_count: each.order_count + 1,
          total_amount: each.total_amount + order.total_amount,
          net_amount: each.net_amount + order.total_amount,
        }
      : each,
  )
}

/** Today's count and revenue, one card per currency. */
function TodayFigures({ figures }: { figures: Figures[] | undefined }) {
  if (!figures) return <p class="muted">Loading…</p>
  if (figures.length === 0) return <p data-testid="today-empty">No orders today yet.</p>
  return (
    <ul class="cards" data-testid="today">
      {figures.map((each) => (
        <li key={each.currency} class="card" data-currency={each.currency}>
          <span class="card-label">{each.currency}</span>
          <span class="card-value" data-testid="today-count" data-value={each.order_count}>
            {each.order_count} {each.order_count === 1 ? 'order' : 'orders'}
          </span>
          <span class="card-value" data-testid="today-revenue" data-value={each.total_amount}>
            {money(each.total_amount, each.currency)}
          </span>
          <span class="muted">net {money(each.net_amount, each.currency)}</span>
        </li>
      ))}
    </ul>
  )
}
