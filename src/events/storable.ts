/**
 * Text no MongoDB-wire server keeps as given: U+0000 (PostgreSQL, beneath FerretDB, refuses
 * it in JSON: the insert fails) and an unpaired UTF-16 surrogate (BSON strings are UTF-8, so
 * every driver writes U+FFFD in its place). With the `u` flag a surrogate pair is one code
 * point, so `\p{Cs}` matches only an unpaired one.
 */
const UNSTORABLE_TEXT = /[\0\p{Cs}]/u

/** Whether `text` is stored and read back unchanged (see `UNSTORABLE_TEXT`). */
export const isStorableText = (text: string): boolean => !UNSTORABLE_TEXT.test(text)

/**
 * Event payloads must survive a round trip through MongoDB and FerretDB v1 unchanged
 * (DESIGN §4.8): plain JSON values only, finite numbers other than -0, text without U+0000
 * or unpaired surrogates, no nested arrays, no keys starting with `$` or containing `.`.
 * Returns the first offending path, or null.
 */
export function findUnstorable(value: unknown, path = 'data'): string | null {
  if (value === null || typeof value === 'boolean') return null
  if (typeof value === 'string') {
    return isStorableText(value) ? null : `${path}: text with U+0000 or an unpaired surrogate is not storable`
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) && !Object.is(value, -0) ? null : `${path}: ${String(value)} is not a storable number`
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (Array.isArray(item)) return `${path}[${i}]: nested arrays are not storable`
      const problem = findUnstorable(item, `${path}[${i}]`)
      if (problem) return problem
    }
    return null
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('$') || key.includes('.') || !isStorableText(key)) return `${path}: key "${key}" is not storable`
      const problem = findUnstorable(item, `${path}.${key}`)
      if (problem) return problem
    }
    return null
  }
  return `${path}: ${typeof value} values are not storable`
}
