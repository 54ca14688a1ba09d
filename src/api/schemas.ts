import Type, { type Static, type TSchema } from 'typebox'
import { ROLES } from '../auth/abilities.js'
import { IsoDateTime } from '../events/catalog.js'
import { OrderView } from '../projections/order-view.js'
import { SkuView } from '../projections/sku-view.js'
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
/** The pattern of text that must say something: at least one character that is not a space. */
export const NOT_BLANK = '\\S'
/** Free text of 1 to `maxLength` characters, not only spaces (the pattern says both). */
export const Text = (maxLength: number) =>
  Type.String({ maxLength, pattern: NOT_BLANK, description: `1 to ${maxLength} characters, not only spaces` })
export const Name = Text(200)

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'a stable URN per code, e.g. urn:problem:order-illegal-transition' }),
    title: Type.String({ description: 'the HTTP status text' }),
    status: Type.Integer({ description: 'the HTTP status' }),
    detail: Type.String({ description: 'what went wrong, for people (never internals)' }),
    instance: Type.String({ description: 'the request path' }),
    code: Type.String({ description: 'stable and machine-readable, e.g. ORDER.ILLEGAL_TRANSITION' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({ description: 'where: body/items/0/quantity, querystring/limit, headers/if-match…' }),
          message: Type.String(),
        }),
        { description: 'every failing field (400, 422)' },
      ),
    ),
    retry_after: Type.Optional(Type.Integer({ minimum: 0, description: 'seconds (429, 503), as in Retry-After' })),
  },
  {
    additionalProperties: true,
    title: 'Problem',
    description: 'RFC 9457 problem details; some codes add members (current_status, current_version, dependency, outcome…)',
  },
)
export type Problem = Static<typeof Problem> & Record<string, unknown>

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'page size (default 50)' })),
  cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'next_cursor of the previous page' })),
}

/** A page of a list; `title` names it in the OpenAPI document (e.g. `OrderPage`). */
export function Page<T extends TSchema>(item: T, title?: string) {
  return Type.Object(
    {
      items: Type.Array(item),
      next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'the cursor of the next page; null on the last' }),
    },
    title === undefined ? {} : { title },
  )
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

/** The order and SKU views as the OpenAPI document names them (the same properties, titled). */
export const Order = Type.Object(OrderView.properties, { title: 'Order' })
export const Sku = Type.Object(SkuView.properties, { title: 'Sku' })
