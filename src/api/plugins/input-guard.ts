import fp from 'fastify-plugin'
import { type FieldError, ValidationError } from '../../shared/errors.js'

/** Deepest nesting of arrays and objects a JSON body may have (an order is 4 deep). */
export const MAX_JSON_DEPTH = 32

/**
 * Input safety before validation (DESIGN §8): JSON bodies nested deeper than
 * `MAX_JSON_DEPTH` are refused before they are parsed (400 `REQUEST.TOO_DEEP`), and inputs
 * that look like MongoDB operators never reach a query: no key in a body or query string
 * may start with `$` or contain `.`, wherever it is nested. Neither check recurses, so no
 * input can overflow the stack.
 */
export default fp(
  async (app) => {
    // Fastify's own parser (prototype-poisoning keys are refused) behind the depth check.
    const parseJson = app.getDefaultJsonParser('error', 'error')
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body as string
      if (nestingDepth(text) > MAX_JSON_DEPTH) {
        done(
          new ValidationError('REQUEST.TOO_DEEP', `JSON bodies may nest arrays and objects at most ${MAX_JSON_DEPTH} deep`, [
            { path: 'body', message: `nests deeper than ${MAX_JSON_DEPTH} levels` },
          ]),
          undefined,
        )
        return
      }
      void parseJson(request, text, done)
    })

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

/** The deepest nesting of `[`/`{` in JSON text, outside strings (one pass, no parsing). */
export function nestingDepth(json: string): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth)
    else if (c === 0x5d || c === 0x7d) depth--
  }
  return deepest
}

/** Every key in the value that could reach a MongoDB query as an operator or a path, in document order. */
function operatorKeys(value: unknown, root: string): FieldError[] {
  const found: FieldError[] = []
  const pending: [unknown, string][] = [[value, root]]
  while (pending.length > 0) {
    const [item, path] = pending.pop() as [unknown, string]
    if (item === null || typeof item !== 'object') continue
    const children: [unknown, string][] = []
    for (const [key, child] of Object.entries(item)) {
      const at = `${path}/${key}`
      if (key.startsWith('$') || key.includes('.'))
        found.push({ path: at, message: 'keys may not start with "$" or contain "."' })
      children.push([child, at])
    }
    pending.push(...children.reverse())
  }
  return found
}
