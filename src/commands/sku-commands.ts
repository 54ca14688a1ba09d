import { aggregateStream } from '../events/aggregate-stream.js'
import { type ReadEvent, isSkuEvent } from '../events/envelope.js'
import type { EventStore } from '../events/event-store.js'
import { type SkuView, skuView } from '../projections/sku-view.js'
import type { CommandContext, CommandHandler } from './command-handler.js'
import type { IdempotentRequest } from './idempotency.js'
import { type SkuCommand, type SkuDetails, type SkuState, skuDecider } from './sku/decider.js'
import { skuStream } from '../events/streams.js'

export interface SkuCommandResult {
  sku: SkuView
  replayed: boolean
}

/** A command that changes an existing SKU. */
export type SkuChange = Exclude<SkuCommand, { type: 'CreateSku' }>

export type SkuCommands = ReturnType<typeof createSkuCommands>

export interface SkuCommandDeps {
  handle: CommandHandler
  store: EventStore
  /**
   * Calls the listener with events as this process learns of them — its own at once, other
   * instances' within moments — so the SKU states read for pricing orders can be kept in
   * memory and dropped when a SKU changes. Without it, every load reads the SKU's stream.
   */
  changes?: (listener: (events: readonly ReadEvent[]) => void) => () => void
}

const CACHED_SKUS = 10_000

/** The catalogue's write side: each SKU is its own stream, so its code is unique by the stream's first version. */
export function createSkuCommands(deps: SkuCommandDeps) {
  const states = new Map<string, SkuState>()
  /** Changes seen per SKU: a state read while one arrived may be older than it, and is not kept. */
  const changes = new Map<string, number>()
  deps.changes?.((events) => {
    for (const event of events) {
      if (!isSkuEvent(event)) continue
      states.delete(event.data.sku)
      changes.set(event.data.sku, (changes.get(event.data.sku) ?? 0) + 1)
    }
  })

  async function create(
    details: SkuDetails,
    context: CommandContext,
    idempotency?: IdempotentRequest,
  ): Promise<SkuCommandResult> {
    const command = { type: 'CreateSku' as const, data: details }
    const result = await deps.handle(
      skuDecider,
      { stream: skuStream(details.sku), command },
      context,
      idempotency ? { idempotency } : {},
    )
    return { sku: viewOf(result.events), replayed: result.replayed }
  }

  async function change(
    command: SkuChange,
    context: CommandContext,
    ifMatch?: number,
    idempotency?: IdempotentRequest,
  ): Promise<{ sku: SkuView; replayed: boolean }> {
    const target = { stream: skuStream(command.data.sku), command }
    const result = await deps.handle(skuDecider, target, context, {
      ...(ifMatch === undefined ? {} : { ifMatch }),
      ...(idempotency ? { idempotency } : {}),
    })
    return { sku: viewOf(result.events), replayed: result.replayed }
  }

  /**
   * The SKU's current state, folded from its stream — or as last folded, until this process
   * learns that the SKU changed (at once for changes made here; other instances' changes
   * within the feed's delay, a notification or a poll).
   */
  async function load(sku: string): Promise<SkuState> {
    const cached = deps.changes && states.get(sku)
    if (cached) return cached
    const before = changes.get(sku)
    const { state } = await aggregateStream(deps.store, skuStream(sku), skuDecider)
    if (deps.changes && state.status !== 'none' && changes.get(sku) === before) {
      if (states.size >= CACHED_SKUS) states.clear()
      states.set(sku, state)
    }
    return state
  }

  return { create, change, load }
}

function viewOf(events: Parameters<typeof skuView.of>[0]): SkuView {
  const sku = skuView.of(events)
  if (!sku) throw new Error('a SKU stream without sku.created')
  return sku
}
