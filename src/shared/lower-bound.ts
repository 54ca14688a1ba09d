/**
 * Binary search: the index of the first item for which `reached` holds, in an array where
 * it is false for a prefix and true for the rest (the array's length when it never holds).
 * `from` skips a prefix the caller knows is not reached (the result is then at least `from`).
 */
export function lowerBound<T>(items: readonly T[], reached: (item: T) => boolean, from = 0): number {
  let low = from
  let high = items.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (reached(items[mid] as T)) high = mid
    else low = mid + 1
  }
  return low
}
