import { useState } from 'preact/hooks'
import { messageOf } from '../api/client'
import type { Order, Page, Sku, User } from '../api/types'
import { money } from '../format'
import { useLoad, useSession } from '../hooks'

interface Line {
  sku: string
  quantity: number
}

/** Every page of a list (the catalogue and the users are small; a page is at most 200). */
async function allPages<T>(load: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = []
  let cursor: string | undefined
  do {
    const page = await load(cursor)
    items.push(...page.items)
    cursor = page.next_cursor ?? undefined
  } while (cursor !== undefined)
  return items
}

/**
 * Places an order: a sales rep for itself, an admin for a sales rep it names. Prices come from
 * the catalogue on the service; one Idempotency-Key per form, so a retry never places it twice.
 */
export function PlaceOrderScreen() {
  const { session, api } = useSession()
  const forSomeone = session.role === 'admin'
  const skus = useLoad(
    () => allPages(async (cursor) => (await api.get<Page<Sku>>('/api/skus', { active: 'true', limit: 200, cursor })).body),
    [],
  )
  const reps = useLoad(
    async () =>
      forSomeone
        ? (await allPages(async (cursor) => (await api.get<Page<User>>('/api/users', { limit: 200, cursor })).body)).filter(
            (user) => user.role === 'sales_rep',
          )
        : [],
    [forSomeone],
  )
  const [customer, setCustomer] = useState({ name: '', email: '' })
  const [salesRep, setSalesRep] = useState('')
  const [lines, setLines] = useState<Line[]>([{ sku: '', quantity: 1 }])
  const [key, setKey] = useState(() => crypto.randomUUID())
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const [placed, setPlaced] = useState<Order>()

  const catalogue = skus.data ?? []
  const setLine = (index: number, change: Partial<Line>) => {
    setLines(lines.map((line, i) => (i === index ? { ...line, ...change } : line)))
  }

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const body = {
        customer: { name: customer.name.trim(), ...(customer.email.trim() ? { email: customer.email.trim() } : {}) },
        items: lines.map((line) => ({ sku: line.sku, quantity: line.quantity })),
        ...(forSomeone ? { sales_rep: salesRep } : {}),
      }
      const { body: order } = await api.post<Order>('/api/orders', body, { 'idempotency-key': key })
      setPlaced(order)
      setLines([{ sku: '', quantity: 1 }])
      setCustomer({ name: '', email: '' })
      setKey(crypto.randomUUID())
    } catch (failure) {
      setError(messageOf(failure))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-labelledby="place-title">
      <h1 id="place-title">Place an order</h1>
      {placed && (
        <p class="notice" role="status" data-testid="placed">
          Placed <a href={`#/orders/${placed.order_id}`}>{placed.order_id}</a> for {money(placed.total_amount, placed.currency)}.
        </p>
      )}
      {(skus.error ?? reps.error) && (
        <p class="error" role="alert">
          {skus.error ?? reps.error}
        </p>
      )}
      <form class="stacked" onSubmit={(event) => void submit(event)}>
        {forSomeone && (
          <label>
            Sales rep
            <select
              required
              name="sales_rep"
              value={salesRep}
              onChange={(event) => {
                setSalesRep(event.currentTarget.value)
              }}
            >
              <option value="">Choose…</option>
              {reps.data?.map((user) => (
                <option key={user.email} value={user.email}>
                  {user.name} ({user.email})
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Customer name
          <input
            required
            name="customer_name"
            maxLength={200}
            value={customer.name}
            onInput={(event) => {
              setCustomer({ ...customer, name: event.currentTarget.value })
            }}
          />
        </label>
        <label>
          Customer e-mail (optional)
          <input
            type="email"
            name="customer_email"
            value={customer.email}
            onInput={(event) => {
              setCustomer({ ...customer, email: event.currentTarget.value })
            }}
          />
        </label>
        <fieldset>
          <legend>Items</legend>
          {lines.map((line, index) => (
            <div class="line" key={index}>
              <label>
                SKU
                <select
                  required
                  name={`sku-${index}`}
                  value={line.sku}
                  onChange={(event) => {
                    setLine(index, { sku: event.currentTarget.value })
                  }}
                >
                  <option value="">Choose…</option>
                  {catalogue.map((sku) => (
                    <option key={sku.sku} value={sku.sku}>
                      {sku.sku} — {sku.name} ({money(sku.unit_price, sku.currency)})
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Quantity
                <input
                  type="number"
                  name={`quantity-${index}`}
                  min={1}
                  max={10000}
                  required
                  value={line.quantity}
                  onInput={(event) => {
                    setLine(index, { quantity: Number(event.currentTarget.value) })
                  }}
                />
              </label>
              {lines.length > 1 && (
                <button
                  type="button"
                  class="secondary"
                  onClick={() => {
                    setLines(lines.filter((_, i) => i !== index))
                  }}
                >
                  Remove item {index + 1}
                </button>
              )}
            </div>
          ))}
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setLines([...lines, { sku: '', quantity: 1 }])
            }}
          >
            Add an item
          </button>
        </fieldset>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Placing…' : 'Place order'}
        </button>
      </form>
    </section>
  )
}
