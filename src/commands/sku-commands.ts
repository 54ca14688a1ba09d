import { aggregateStream } from '../events/aggregate-stream.js'
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

/** The catalogue's write side: each SKU is its own stream, so its code is unique by the stream's first version. */
export function createSkuCommands(deps: { handle: CommandHandler; store: EventStore }) {
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

  async function change(command: SkuChange, context: CommandContext, ifMatch?: number): Promise<SkuView> {
    const target = { stream: skuStream(command.data.sku), command }
    const result = await deps.handle(skuDecider, target, context, ifMatch === undefined ? {} : { ifMatch })
    return viewOf(result.events)
  }

  /** The SKU's current state, read from its stream (strongly consistent, unlike a read model). */
  async function load(sku: string): Promise<SkuState> {
    return (await aggregateStream(deps.store, skuStream(sku), skuDecider)).state
  }

  return { create, change, load }
}

function viewOf(events: Parameters<typeof skuView.of>[0]): SkuView {
  const sku = skuView.of(events)
  if (!sku) throw new Error('a SKU stream without sku.created')
  return sku
}
