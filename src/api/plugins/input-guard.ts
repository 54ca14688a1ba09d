import fp from 'fastify-plugin'
import { isStorableText } from '../../events/storable.js'
import { type FieldError, ValidationError } from '../../shared/errors.js'

/** Deepest nesting of arrays and objects a JSON body may have (an order is 4 deep). */
export const MAX_JSON_DEPTH = 32

/**
 * Input safety before validation (DESIGN §8): JSON bodies nested deeper than
 * `MAX_JSON_DEPTH` are refused before they are parsed (400 `REQUEST.TOO_DEEP`), and inputs
 * that look like MongoDB operators never reach a query: no key in a body or query string
 * may start with `$` or contain `.`, wherever it is nested (400 `REQUEST.FORBIDDEN_KEY`).
 * Nor may any text in them hold U+0000 or an unpaired surrogate, which no store keeps as
 * given (FerretDB fails the write; MongoDB's drivers write U+FFFD): 400 `REQUEST.INVALID_TEXT`.
 * No check recurses, so no input can overflow the stack.
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
      const body = unsafeInput(request.body, 'body')
      const query = unsafeInput(request.query, 'querystring')
      const keys = [...body.keys, ...query.keys]
      if (keys.length > 0) throw new ValidationError('REQUEST.FORBIDDEN_KEY', 'Keys may not start with "$" or contain "."', keys)
      const text = [...body.text, ...query.text]
      if (text.length > 0)
        throw new ValidationError('REQUEST.INVALID_TEXT', 'Text may not contain U+0000 or an unpaired UTF-16 surrogate', text)
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

/**
 * In document order: every key in the value that could reach a MongoDB query as an operator
 * or a path, and every key or string that no store keeps as given.
 */
function unsafeInput(value: unknown, root: string): { keys: FieldError[]; text: FieldError[] } {
  const keys: FieldError[] = []
  const text: FieldError[] = []
  // [value, its path, the key it is under]: a key is judged as its value is reached, in document order.
  const pending: [unknown, string, string?][] = [[value, root]]
  while (pending.length > 0) {
    const [item, path, key] = pending.pop() as [unknown, string, string?]
    if (key !== undefined) {
      if (key.startsWith('$') || key.includes('.')) keys.push({ path, message: 'keys may not start with "$" or contain "."' })
      else if (!isStorableText(key)) text.push({ path, message: `its key ${UNSTORABLE_MESSAGE}` })
    }
    if (typeof item === 'string') {
      if (!isStorableText(item)) text.push({ path, message: UNSTORABLE_MESSAGE })
      continue
    }
    if (item === null || typeof item !== 'object') continue
    const children = Object.entries(item).map(([name, child]): [unknown, string, string] => [child, `${path}/${name}`, name])
    pending.push(...children.reverse())
  }
  return { keys, text }
}

const UNSTORABLE_MESSAGE = 'holds U+0000 or an unpaired UTF-16 surrogate'
