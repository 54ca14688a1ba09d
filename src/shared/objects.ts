/**
 * `{ ...base, ...changes }`, built with Object.assign: on Node 20 (V8 11.3), adding keys
 * that `base` lacks to a spread copy takes a slow path, about 0.5 µs per key (measured:
 * `{ ...fiveKeys, a, b, c }` 1.6 µs, `Object.assign({}, fiveKeys, { a, b, c })` 0.1 µs).
 * It sits on the per-event paths of projections and command responses.
 */
export function withChanges<T extends object, C extends object>(base: T, changes: C): Omit<T, keyof C> & C {
  return Object.assign({}, base, changes)
}
