import fp from 'fastify-plugin'
import { type FieldError, ValidationError } from '../../shared/errors.js'

/**
 * Inputs that look like MongoDB operators never reach a query: no key in a body or query
 * string may start with `$` or contain `.` (DESIGN §8), wherever it is nested.
 */
export default fp(
  async (app) => {
    app.addHook('preValidation', async (request) => {
      // A command without a body (e.g. POST …/confirm) is an empty object, so it validates
      // like one: no special cases per route, and required fields are still named.
      if (request.body === undefined && (request.method === 'POST' || request.method === 'PATCH')) request.body = {}
      const errors = [...operatorKeys(request.body, 'body'), ...operatorKeys(request.query, 'querystring')]
      if (errors.length > 0)
        throw new ValidationError('REQUEST.FORBIDDEN_KEY', 'Keys may not start with "$" or contain "."', errors)
    })
  },
  { name: 'input-guard' },
)

/** Every key in the value that could reach a MongoDB query as an operator or a path. */
function operatorKeys(value: unknown, path: string): FieldError[] {
  if (value === null || typeof value !== 'object') return []
  const found: FieldError[] = []
  for (const [key, item] of Object.entries(value)) {
    const at = `${path}/${key}`
    if (key.startsWith('$') || key.includes('.')) found.push({ path: at, message: 'keys may not start with "$" or contain "."' })
    found.push(...operatorKeys(item, at))
  }
  return found
}
