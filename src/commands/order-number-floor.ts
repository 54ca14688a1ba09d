import type { EventStore } from '../events/event-store.js'
import { orderNumberOf } from './order-commands.js'

/** How many of the newest events the floor reads (dense positions: a few page lookups). */
const LOOK_BACK = 1000

/**
 * A bound above every order number in use, for a shared counter that has none to go on (a new
 * deployment's Redis, or one that restarted empty): the highest order number among the newest
 * `LOOK_BACK` events, or 0 when they are the whole log and hold no order — so a deployment
 * whose log holds only its catalogue starts at ORD-00001, not after one number per SKU
 * event. A longer log with no order among its newest events gives the head position (each
 * order took one). Numbers only grow, so the newest orders hold the highest; one handed out
 * but not yet stored is caught by its claim, which fails and raises the counter above it.
 */
export async function orderNumberFloor(store: EventStore): Promise<number> {
  const head = await store.headPosition()
  const from = Math.max(0, head - LOOK_BACK)
  let highest = 0
  for (let after = from; after < head;) {
    const { events, position } = await store.readAll({ after, limit: LOOK_BACK })
    if (events.length === 0) break
    for (const event of events) {
      if (event.type === 'order.created') highest = Math.max(highest, orderNumberOf(event.data.order_id))
    }
    after = position
  }
  return highest > 0 || from === 0 ? highest : head
}
