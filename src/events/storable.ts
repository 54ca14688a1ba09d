/**
 * Event payloads must survive a round trip through MongoDB and FerretDB v1 unchanged
 * (DESIGN §4.8): plain JSON values only, finite numbers other than -0, no nested arrays,
 * no keys starting with `$` or containing `.`. Returns the first offending path, or null.
 */
export function findUnstorable(value: unknown, path = 'data'): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null
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
      if (key.startsWith('$') || key.includes('.') || key.includes('\0')) return `${path}: key "${key}" is not storable`
      const problem = findUnstorable(item, `${path}.${key}`)
      if (problem) return problem
    }
    return null
  }
  return `${path}: ${typeof value} values are not storable`
}
