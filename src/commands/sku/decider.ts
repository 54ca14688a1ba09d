import type { EventData, SkuEvent } from '../../events/catalog.js'
import type { Decider } from '../decider.js'
import { IllegalTransitionError, SkuExistsError, SkuNotFoundError } from '../errors.js'

export type SkuDetails = EventData<'sku.created'>

/** A SKU's state: a union on `status`. */
export type SkuState = { status: 'none' } | ({ status: 'active' | 'inactive' } & SkuDetails)

export type SkuCommand =
  | { type: 'CreateSku'; data: SkuDetails }
  | { type: 'UpdateSku'; data: { sku: string; changes: EventData<'sku.updated'>['changes'] } }
  | { type: 'DeactivateSku'; data: { sku: string; reason?: string } }
  | { type: 'ReactivateSku'; data: { sku: string } }

function decide(command: SkuCommand, state: SkuState): SkuEvent[] {
  switch (command.type) {
    case 'CreateSku':
      if (state.status !== 'none') throw new SkuExistsError(command.data.sku)
      return [{ type: 'sku.created', data: command.data }]
    case 'UpdateSku': {
      if (state.status === 'none') throw new SkuNotFoundError(command.data.sku)
      // Only what really changes is recorded; an update that changes nothing records nothing.
      const changes = Object.fromEntries(
        Object.entries(command.data.changes as Record<string, unknown>).filter(
          ([field, value]) => value !== undefined && state[field as keyof SkuDetails] !== value,
        ),
      )
      return Object.keys(changes).length === 0 ? [] : [{ type: 'sku.updated', data: { sku: command.data.sku, changes } }]
    }
    case 'DeactivateSku':
      if (state.status === 'none') throw new SkuNotFoundError(command.data.sku)
      if (state.status === 'inactive') throw new IllegalTransitionError('SKU', 'deactivate', state.status)
      return [{ type: 'sku.deactivated', data: command.data }]
    case 'ReactivateSku':
      if (state.status === 'none') throw new SkuNotFoundError(command.data.sku)
      if (state.status === 'active') throw new IllegalTransitionError('SKU', 'reactivate', state.status)
      return [{ type: 'sku.reactivated', data: command.data }]
    default: {
      const unknown: never = command
      throw new Error(`unknown SKU command ${JSON.stringify(unknown)}`)
    }
  }
}

function evolve(state: SkuState, event: SkuEvent): SkuState {
  switch (event.type) {
    case 'sku.created':
      return { status: 'active', ...event.data }
    case 'sku.updated':
      return state.status === 'none' ? state : { ...state, ...stripUndefined(event.data.changes) }
    case 'sku.deactivated':
      return state.status === 'none' ? state : { ...state, status: 'inactive' }
    case 'sku.reactivated':
      return state.status === 'none' ? state : { ...state, status: 'active' }
    default: {
      const unknown: never = event
      throw new Error(`unknown SKU event ${JSON.stringify(unknown)}`)
    }
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** The SKU aggregate: one catalogue entry. */
export const skuDecider: Decider<SkuCommand, SkuState, SkuEvent> = {
  decide,
  evolve,
  initialState: () => ({ status: 'none' }),
}
