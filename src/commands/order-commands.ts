import { type AppAbility, type Principal, inState } from '../auth/abilities.js'
import { ForbiddenError } from '../auth/errors.js'
import type { CustomerData } from '../events/catalog.js'
import type { Sequences } from '../infra/sequence.js'
import { type OrderView, orderView } from '../projections/order-view.js'
import type { CommandContext, CommandHandler } from './command-handler.js'
import { OrderNotFoundError, OrderRejectedError } from './errors.js'
import type { IdempotentRequest } from './idempotency.js'
import { type LifecycleCommand, type OrderItemRequest, actionOf, orderDecider } from './order/decider.js'
import type { SkuState } from './sku/decider.js'
import { orderStream } from '../events/streams.js'
import { ValidationError } from '../shared/errors.js'

const ORDER_ID_PREFIX = 'ORD-'
const formatOrderId = (n: number) => `${ORDER_ID_PREFIX}${String(n).padStart(5, '0')}`
/** The number of an order id: `ORD-00042` → 42. */
export const orderNumberOf = (orderId: string) => Number(orderId.slice(ORDER_ID_PREFIX.length))

export interface PlaceOrderInput {
  customer: CustomerData
  items: OrderItemRequest[]
  currency?: string
  notes?: string
  /** Admins may place an order for a sales rep; reps always place their own. */
  sales_rep?: string
}

export interface OrderCommandResult {
  order: OrderView
  replayed: boolean
}

export interface OrderCommandDeps {
  handle: CommandHandler
  sequences: Sequences
  /** The current state of a SKU, from its stream. */
  loadSku(sku: string): Promise<SkuState>
  /** True if the e-mail belongs to an enabled sales rep. */
  isSalesRep(email: string): Promise<boolean>
}

/** A new order number can have been handed out twice (FerretDB's counter, a Redis that lost its counter): its claim then fails and takes another. */
const PLACE_ATTEMPTS = 10

export type OrderCommands = ReturnType<typeof createOrderCommands>

/** The order write side: placing orders and moving them through their lifecycle. */
export function createOrderCommands(deps: OrderCommandDeps) {
  async function place(
    input: PlaceOrderInput,
    principal: Principal,
    context: CommandContext,
    idempotency?: IdempotentRequest,
  ): Promise<OrderCommandResult> {
    let prepared: { salesRep: string; catalog: ReadonlyMap<string, SkuState> } | undefined
    let tried: number | undefined
    const result = await deps.handle(
      orderDecider,
      // Each attempt claims a new order stream under the next number: creating it with
      // `no_stream` is the claim, so a number handed out twice is refused and asked again.
      async () => {
        prepared ??= { salesRep: await salesRepFor(input.sales_rep, principal), catalog: await catalogFor(input) }
        // A number tried before was taken: later ones must be above it.
        if (tried !== undefined) await deps.sequences.atLeast('order_number', tried)
        tried = await deps.sequences.next('order_number')
        const orderId = formatOrderId(tried)
        return {
          stream: orderStream(orderId),
          claim: true,
          command: {
            type: 'PlaceOrder' as const,
            data: {
              order_id: orderId,
              sales_rep: prepared.salesRep,
              customer: input.customer,
              items: input.items,
              ...(input.currency === undefined ? {} : { currency: input.currency }),
              ...(input.notes === undefined ? {} : { notes: input.notes }),
              catalog: prepared.catalog,
            },
          },
        }
      },
      context,
      { ...(idempotency ? { idempotency } : {}), attempts: PLACE_ATTEMPTS },
    )
    return { order: viewOf(result.events), replayed: result.replayed }
  }

  async function catalogFor(input: PlaceOrderInput): Promise<ReadonlyMap<string, SkuState>> {
    const skus = [...new Set(input.items.map((item) => item.sku))]
    return new Map(await Promise.all(skus.map(async (sku) => [sku, await deps.loadSku(sku)] as const)))
  }

  async function salesRepFor(requested: string | undefined, principal: Principal): Promise<string> {
    const wanted = requested?.trim().toLowerCase()
    if (principal.role !== 'admin') {
      if (wanted !== undefined && wanted !== principal.sub)
        throw new ForbiddenError('Only admins may place an order for another sales rep')
      return principal.sub
    }
    // An admin places orders for someone: it is never the sales rep of an order itself.
    if (wanted === undefined) {
      throw new ValidationError('REQUEST.VALIDATION', 'An admin must name the sales rep of the order', [
        { path: 'body/sales_rep', message: 'is required when an admin places an order (the sales rep it is for)' },
      ])
    }
    if (!(await deps.isSalesRep(wanted))) {
      throw new OrderRejectedError('ORDER.UNKNOWN_SALES_REP', `${wanted} is not an enabled sales rep`, [
        { path: 'body/sales_rep', message: 'is not an enabled sales rep' },
      ])
    }
    return wanted
  }

  /**
   * Moves an order through its lifecycle. Someone who may not even read the order gets a
   * 404 (its existence is not disclosed); a sales rep cancelling its own order after
   * confirmation gets a 403. A lost race re-decides only if the status did not change, so
   * of two racing transitions exactly one wins and the other is a 409.
   */
  async function transition(
    command: LifecycleCommand,
    ability: AppAbility,
    context: CommandContext,
    ifMatch?: number,
    idempotency?: IdempotentRequest,
  ): Promise<OrderCommandResult> {
    const action = actionOf(command)
    const result = await deps.handle(orderDecider, { stream: orderStream(command.data.order_id), command }, context, {
      ...(ifMatch === undefined ? {} : { ifMatch }),
      ...(idempotency ? { idempotency } : {}),
      authorize: (state) => {
        if (state.status === 'none' || !ability.can('read', inState('Order', state)))
          throw new OrderNotFoundError(command.data.order_id)
        if (!ability.can(action, inState('Order', state))) {
          throw new ForbiddenError(
            `Your role may not ${action} this order${action === 'cancel' ? ' (sales reps cancel their own orders while created)' : ''}`,
          )
        }
      },
      retryIf: (decidedOn, now) => decidedOn.status === now.status,
      describe: (state) => state.status,
    })
    return { order: viewOf(result.events), replayed: result.replayed }
  }

  return { place, transition }
}

function viewOf(events: Parameters<typeof orderView.of>[0]): OrderView {
  const order = orderView.of(events)
  if (!order) throw new Error('an order stream without order.created')
  return order
}
