import type { EventStore } from '../events/event-store.js'
import { ConcurrencyError } from '../events/errors.js'
import { type SkuDocument, skuFromEvents } from '../projections/sku-document.js'
import { SkuExistsError } from './errors.js'
import { type CommandContext, handleCommand } from './handle-command.js'
import { type IdempotentRequest, asReplay, createKeyedLock } from './idempotency.js'
import { type SkuCommand, type SkuDetails, type SkuState, decideSku, evolveSku, initialSkuState } from './sku/decider.js'

export const skuStream = (sku: string) => `sku-${sku}`

const skuDecider = { initialState: initialSkuState, decide: decideSku, evolve: evolveSku }

export interface SkuCommandResult {
  sku: SkuDocument
  replayed: boolean
}

export type SkuCommands = ReturnType<typeof createSkuCommands>

/** The catalogue's write side: each SKU is its own stream. */
export function createSkuCommands(store: EventStore) {
  const withLock = createKeyedLock()

  async function create(
    details: SkuDetails,
    context: CommandContext,
    idempotency?: IdempotentRequest,
  ): Promise<SkuCommandResult> {
    const write = async (): Promise<SkuCommandResult> => {
      if (idempotency) {
        const original = await store.findCommand(idempotency.commandId)
        if (original) return { sku: document(asReplay(original, idempotency).events), replayed: true }
      }
      const events = decideSku({ type: 'CreateSku', data: details }, initialSkuState())
      try {
        const result = await store.append(skuStream(details.sku), events, {
          expectedVersion: 'no_stream', // the stream's unique first version makes the code unique
          actor: context.actor,
          correlationId: context.correlationId,
          ...(idempotency ?? {}),
        })
        return {
          sku: document(idempotency && result.replayed ? asReplay(result, idempotency).events : result.events),
          replayed: result.replayed,
        }
      } catch (error) {
        if (error instanceof ConcurrencyError) throw new SkuExistsError(details.sku)
        throw error
      }
    }
    return idempotency ? withLock(idempotency.commandId, write) : write()
  }

  async function change(
    command: Exclude<SkuCommand, { type: 'CreateSku' }>,
    context: CommandContext,
    ifMatch?: number,
  ): Promise<SkuDocument> {
    const result = await handleCommand(
      store,
      skuStream(command.data.sku),
      skuDecider,
      command,
      context,
      ifMatch === undefined ? {} : { ifMatch },
    )
    return document(result.events)
  }

  /** The SKU's current state, read from its stream (strongly consistent, unlike a read model). */
  async function load(sku: string): Promise<SkuState> {
    const events = await store.readStream(skuStream(sku))
    return events.reduce(
      (state, e) => evolveSku(state, { type: e.type, data: e.data } as Parameters<typeof evolveSku>[1]),
      initialSkuState(),
    )
  }

  return { create, change, load }
}

function document(events: Parameters<typeof skuFromEvents>[0]): SkuDocument {
  const sku = skuFromEvents(events)
  if (!sku) throw new Error('a SKU stream without sku.created')
  return sku
}
