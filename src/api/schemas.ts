import Type, { type Static, type TSchema } from 'typebox'
import { ROLES } from '../auth/abilities.js'
import { IsoDateTime } from '../events/catalog.js'
import { EMAIL_MAX_LENGTH, EMAIL_PATTERN } from '../shared/email.js'

export { IsoDateTime }

/** Shared request/response shapes; every object schema rejects unknown fields. */

export const Email = Type.String({
  pattern: EMAIL_PATTERN,
  maxLength: EMAIL_MAX_LENGTH,
  description: "e-mail address (letters, digits and _ % + ' - of any script; compared lower-case)",
})
export const Password = Type.String({ minLength: 12, maxLength: 256, description: '12 to 256 characters' })
export const Role = Type.Enum(ROLES)
export const Name = Type.String({ minLength: 1, maxLength: 200 })

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
)
export type Problem = Static<typeof Problem> & Record<string, unknown>

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'page size (default 50)' })),
  cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'next_cursor of the previous page' })),
}

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) })
}

export const DEFAULT_PAGE_SIZE = 50

/** The query of a route that takes no parameters: any one given is refused, like on every route. */
export const NoQuery = Type.Object({}, { additionalProperties: false })

/** `?format=`: the answer as JSON (default) or as a CSV download (also chosen by `Accept: text/csv`). */
export const ExportFormat = Type.Optional(
  Type.Union([Type.Literal('json'), Type.Literal('csv')], {
    description: 'csv: a streamed CSV download of every matching row (also `Accept: text/csv`)',
  }),
)

export { OrderStatus, OrderView } from '../projections/order-view.js'
export { SkuView } from '../projections/sku-view.js'
