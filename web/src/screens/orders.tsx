import { useState } from 'preact/hooks'
import { messageOf } from '../api/client'
import { ORDER_STATUSES, type Order, type Page } from '../api/types'
import { addDays, money, when } from '../format'
import { useLoad, useSession } from '../hooks'
import { can } from '../session'

interface Filters {
  status: string
  sales_rep: string
  sku: string
  customer: string
  from: string
  to: string
}

const NO_FILTERS: Filters = { status: '', sales_rep: '', sku: '', customer: '', from: '', to: '' }
const PAGE_SIZE = 25

/** The API's query for the filters (dates as days; "to" is the last day included). */
function queryOf(filters: Filters) {
  return {
    status: filters.status,
    sales_rep: filters.sales_rep.trim(),
    sku: filters.sku.trim(),
    customer: filters.customer.trim(),
    from: filters.from,
    to: filters.to === '' ? '' : addDays(filters.to, 1),
  }
}

/** The order list with its filters, page by page (cursors: cost does not grow with the depth). */
export function OrdersScreen() {
  const { session, api } = useSession()
  const seeAll = can(session.role).seeAllOrders
  const [draft, setDraft] = useState<Filters>(NO_FILTERS)
  const [filters, setFilters] = useState<Filters>(NO_FILTERS)
  // The cursors of the pages before this one (to go back) and of this one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined])
  const [downloadError, setDownloadError] = useState<string>()
  const cursor = cursors[cursors.length - 1]

  const page = useLoad(
    async () => (await api.get<Page<Order>>('/api/orders', { ...queryOf(filters), limit: PAGE_SIZE, cursor })).body,
    [filters, cursor],
  )

  const apply = (event: Event) => {
    event.preventDefault()
    setFilters(draft)
    setCursors([undefined])
  }
  const field = (name: keyof Filters) => ({
    name,
    value: draft[name],
    onInput: (event: { currentTarget: HTMLInputElement | HTMLSelectElement }) => {
      setDraft({ ...draft, [name]: event.currentTarget.value })
    },
  })

  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">{seeAll ? 'Orders' : 'My orders'}</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter orders">
        <label>
          Status
          <select {...field('status')}>
            <option value="">Any</option>
            {ORDER_STATUSES.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        {seeAll && (
          <label>
            Sales rep
            <input type="email" placeholder="e-mail" {...field('sales_rep')} />
          </label>
        )}
        <label>
          SKU
          <input type="text" {...field('sku')} />
        </label>
        <label>
          Customer
          <input type="search" placeholder="name or e-mail, start of" {...field('customer')} />
        </label>
        <label>
          From
          <input type="date" {...field('from')} />
        </label>
        <label>
          To (included)
          <input type="date" {...field('to')} />
        </label>
        <button type="submit">Apply</button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setDownloadError(undefined)
            api.download('/api/orders', queryOf(filters)).catch((error: unknown) => {
              setDownloadError(messageOf(error))
            })
          }}
        >
          Download CSV
        </button>
      </form>
      {(page.error ?? downloadError) && (
        <p class="error" role="alert">
          {page.error ?? downloadError}
        </p>
      )}
      <div class="table-scroll" aria-busy={page.loading}>
        <table data-testid="orders">
          <caption class="visually-hidden">Orders, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Customer</th>
              {seeAll && <th scope="col">Sales rep</th>}
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {page.data?.items.map((order) => (
              <tr key={order.order_id} data-order-id={order.order_id}>
                <td>
                  <a href={`#/orders/${order.order_id}`}>{order.order_id}</a>
                </td>
                <td>
                  <time dateTime={order.created_at}>{when(order.created_at)}</time>
                </td>
                <td>{order.customer.name}</td>
                {seeAll && <td>{order.sales_rep}</td>}
                <td>
                  <span class={`status status-${order.status}`}>{order.status}</span>
                </td>
                <td class="num">{money(order.total_amount, order.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page.data?.items.length === 0 && <p>No orders match.</p>}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length === 1}
          onClick={() => {
            setCursors(cursors.slice(0, -1))
          }}
        >
          Previous page
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          disabled={!page.data?.next_cursor}
          onClick={() => {
            const next = page.data?.next_cursor
            if (next) setCursors([...cursors, next])
          }}
        >
          Next page
        </button>
      </nav>
    </section>
  )
}
