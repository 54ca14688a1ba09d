import type { Principal } from '../auth/abilities.js'
import { type AppAbility, inState } from '../auth/abilities.js'
import { ForbiddenError } from '../auth/errors.js'
import type { CustomerData } from '../events/catalog.js'
import { CommandIdConflictError, ConcurrencyError } from '../events/errors.js'
import type { EventStore } from '../events/event-store.js'
import type { Sequences } from '../infra/sequence.js'
import { type OrderDocument, orderFromEvents } from '../projections/order-document.js'
import { OrderNotFoundError, OrderRejectedError } from './errors.js'
import { type CommandContext, handleCommand } from './handle-command.js'
import { type IdempotentRequest, asReplay, createKeyedLock } from './idempotency.js'
import {
  type OrderCommand,
  type OrderItemRequest,
  type OrderState,
  decideOrder,
  evolveOrder,
  initialOrderState,
} from './order/decider.js'
import type { SkuState } from './sku/decider.js'

export const orderStream = (orderId: string) => `order-${orderId}`
export const formatOrderId = (n: number) => `ORD-${String(n).padStart(5, '0')}`

const orderDecider = { initialState: initialOrderState, decide: decideOrder, evolve: evolveOrder }

export interface PlaceOrderInput {
  customer: CustomerData
  items: OrderItemRequest[]
  currency?: string
  notes?: string
  /** Admins may place an order for a sales rep; reps always place their own. */
  sales_rep?: string
}

export interface OrderCommandResult {
  order: OrderDocument
  replayed: boolean
}

export interface OrderCommandDeps {
  store: EventStore
  sequences: Sequences
  /** The current state of a SKU, from its stream. */
  loadSku(sku: string): Promise<SkuState>
  /** True if the e-mail belongs to an enabled sales rep. */
  isSalesRep(email: string): Promise<boolean>
}

type Lifecycle = Exclude<OrderCommand, { type: 'PlaceOrder' }>

export type OrderCommands = ReturnType<typeof createOrderCommands>

/** The order write side: placing orders and moving them through their lifecycle. */
export function createOrderCommands(deps: OrderCommandDeps) {
  const { store } = deps
  const withLock = createKeyedLock()

  async function place(input: PlaceOrderInput, principal: Principal, context: CommandContext, idempotency?: IdempotentRequest) {
    return idempotency
      ? withLock(idempotency.commandId, () => placeOnce(input, principal, context, idempotency))
      : placeOnce(input, principal, context)
  }

  async function placeOnce(
    input: PlaceOrderInput,
    principal: Principal,
    context: CommandContext,
    idempotency?: IdempotentRequest,
  ): Promise<OrderCommandResult> {
    if (idempotency) {
      const original = await store.findCommand(idempotency.commandId)
      if (original) return replay(original, idempotency)
    }
    const salesRep = await salesRepFor(input.sales_rep, principal)
    const skus = [...new Set(input.items.map((item) => item.sku))]
    const catalog = new Map(await Promise.all(skus.map(async (sku) => [sku, await deps.loadSku(sku)] as const)))

    // Decide first (every rule, with a placeholder id), so a refused order burns no number.
    const [draft] = decideOrder(
      {
        type: 'PlaceOrder',
        data: {
          order_id: formatOrderId(0),
          sales_rep: salesRep,
          customer: input.customer,
          items: input.items,
          ...(input.currency === undefined ? {} : { currency: input.currency }),
          ...(input.notes === undefined ? {} : { notes: input.notes }),
          catalog,
        },
      },
      initialOrderState(),
    )
    if (draft?.type !== 'order.created') throw new Error('PlaceOrder must decide order.created')

    // The number comes from a counter and is claimed by creating the order's stream: if the
    // counter ever hands a number out twice (FerretDB), the second claim fails and asks again.
    for (let attempt = 1; ; attempt++) {
      const orderId = formatOrderId(await deps.sequences.next('order_number'))
      const events = [{ type: draft.type, data: { ...draft.data, order_id: orderId } }]
      try {
        const result = await store.append(orderStream(orderId), events, {
          expectedVersion: 'no_stream',
          actor: context.actor,
          correlationId: context.correlationId,
          ...(idempotency ?? {}),
        })
        return idempotency && result.replayed
          ? replay(result, idempotency)
          : { order: document(result.events), replayed: result.replayed }
      } catch (error) {
        if (error instanceof CommandIdConflictError && idempotency) {
          // An identical request on another instance won with another number: answer with its order.
          const original = await store.findCommand(idempotency.commandId)
          if (original) return replay(original, idempotency)
        }
        if (!(error instanceof ConcurrencyError) || attempt >= 10) throw error
      }
    }
  }

  async function salesRepFor(requested: string | undefined, principal: Principal): Promise<string> {
    const wanted = requested?.trim().toLowerCase()
    if (principal.role !== 'admin') {
      if (wanted !== undefined && wanted !== principal.sub)
        throw new ForbiddenError('Only admins may place an order for another sales rep')
      return principal.sub
    }
    if (wanted === undefined || wanted === principal.sub) return principal.sub
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
    command: Lifecycle,
    ability: AppAbility,
    context: CommandContext,
    ifMatch?: number,
  ): Promise<OrderDocument> {
    const verb = command.type.replace(/Order$/, '').toLowerCase() as 'confirm' | 'ship' | 'deliver' | 'cancel'
    const result = await handleCommand(store, orderStream(command.data.order_id), orderDecider, command, context, {
      ...(ifMatch === undefined ? {} : { ifMatch }),
      authorize: (state: OrderState) => {
        if (state.status === 'none' || !ability.can('read', inState('Order', state)))
          throw new OrderNotFoundError(command.data.order_id)
        if (!ability.can(verb, inState('Order', state))) {
          throw new ForbiddenError(
            `Your role may not ${verb} this order${verb === 'cancel' ? ' (sales reps cancel their own orders while created)' : ''}`,
          )
        }
      },
      mayRetry: (decidedOn, now) => decidedOn.status === now.status,
      describe: (state) => state.status,
    })
    return document(result.events)
  }

  function replay(original: Parameters<typeof asReplay>[0], idempotency: IdempotentRequest): OrderCommandResult {
    return { order: document(asReplay(original, idempotency).events), replayed: true }
  }

  return { place, transition }
}

function document(events: Parameters<typeof orderFromEvents>[0]): OrderDocument {
  const order = orderFromEvents(events)
  if (!order) throw new Error('an order stream without order.created')
  return order
}
