import {
  type ForcedSubject,
  type MongoAbility,
  type MongoQuery,
  AbilityBuilder,
  createMongoAbility,
  subject as asSubject,
} from '@casl/ability'
import { rulesToCondition } from '@casl/ability/extra'

export const ROLES = ['admin', 'sales_rep', 'auditor'] as const
export type Role = (typeof ROLES)[number]

export type Action = 'manage' | 'create' | 'read' | 'update' | 'confirm' | 'ship' | 'deliver' | 'cancel' | 'rebuild' | 'run'
export type SubjectType = 'User' | 'Sku' | 'Order' | 'OrderHistory' | 'Report' | 'Projection' | 'Job' | 'RealtimeFeed' | 'all'
/** The order fields the sales-rep conditions look at (read model and decider state share them). */
interface OrderFields {
  sales_rep: string
  status: string
}
type Subject =
  | SubjectType
  | (OrderFields & ForcedSubject<'Order'>)
  | (OrderFields & ForcedSubject<'OrderHistory'>)
  | ForcedSubject<Exclude<SubjectType, 'Order' | 'OrderHistory' | 'all'>>
export type AppAbility = MongoAbility<[Action, Subject]>

/** Who is asking: the verified token's subject (an e-mail) and role. */
export interface Principal {
  sub: string
  role: Role
}

/** A verified token: who, of which token generation of the account, and when it expires (epoch ms). */
export interface VerifiedToken extends Principal {
  gen: number
  expiresAt: number
}

/**
 * The permission table of DESIGN §6, one block per role. Conditions are MongoDB queries
 * on the read model's fields, so list queries filter with them (`accessFilter`) and
 * commands check them against the loaded state (`can(..., inState(...))`).
 */
export function defineAbilityFor(principal: Principal): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility)
  switch (principal.role) {
    case 'admin':
      can('manage', 'all') // users, catalogue, every order, reports, projections, jobs, live feed
      break
    case 'sales_rep':
      can('create', 'Sku')
      can('read', 'Sku')
      can('create', 'Order')
      can('read', 'Order', { sales_rep: principal.sub }) // own orders only
      can('read', 'OrderHistory', { sales_rep: principal.sub })
      can('cancel', 'Order', { sales_rep: principal.sub, status: 'created' }) // own, not yet confirmed
      break
    case 'auditor':
      can('read', ['Sku', 'Order', 'OrderHistory', 'Report', 'RealtimeFeed']) // reads everything, writes nothing
      break
    default: {
      const unknown: never = principal.role
      throw new Error(`no abilities for role ${String(unknown)}`)
    }
  }
  return build()
}

/** The abilities of an anonymous caller: none. */
export function noAbility(): AppAbility {
  return createMongoAbility<AppAbility>([])
}

/**
 * The fields the rules look at, copied from an order (its read-model document or decider
 * state) and tagged as a subject for instance checks. A copy, because CASL tags the object
 * it is given and stored documents are frozen.
 */
export function inState(type: 'Order' | 'OrderHistory', state: OrderFields): OrderFields & ForcedSubject<typeof type> {
  return asSubject(type, { sales_rep: state.sales_rep, status: state.status })
}

/**
 * The MongoDB filter that limits a list to what the ability may `action`: `{}` for all,
 * a condition for some, or null when nothing at all (the caller answers 403).
 */
export function accessFilter(ability: AppAbility, action: Action, type: SubjectType): MongoQuery | null {
  return rulesToCondition<AppAbility, MongoQuery, MongoQuery>(
    ability.rulesFor(action, type),
    (rule) => (rule.inverted ? { $nor: [rule.conditions ?? {}] } : (rule.conditions ?? {})),
    {
      and: (conditions) => (conditions.length === 1 ? (conditions[0] ?? {}) : { $and: conditions }),
      or: (conditions) => (conditions.length === 1 ? (conditions[0] ?? {}) : { $or: conditions }),
      empty: () => ({}),
    },
  )
}

/** Abilities depend only on (role, subject): this builds them once per principal, not per request. */
export function abilityCache(maxEntries = 10_000): (principal: Principal) => AppAbility {
  const byPrincipal = new Map<string, AppAbility>()
  return (principal) => {
    const key = `${principal.role}\u0000${principal.sub}`
    let ability = byPrincipal.get(key)
    if (!ability) {
      if (byPrincipal.size >= maxEntries) byPrincipal.clear()
      ability = defineAbilityFor(principal)
      byPrincipal.set(key, ability)
    }
    return ability
  }
}
