interface Entry<T> {
  value: T
  /** The window (epoch ms, both ends included) in which the verification still holds. */
  notBefore: number
  notAfter: number
}

/**
 * What verifying a token found, by the token's exact text, for repeat presentations: a hit
 * costs a map lookup instead of decoding, hashing and checking the token again. Bounded:
 * the least recently used entry goes when it is full. An entry outside its window is a
 * miss (and is dropped), so the caller verifies again and refuses as it would have.
 * Holds successes only: refusals are never cached here.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>()

  constructor(private readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('a token cache needs room for at least one token')
  }

  get size(): number {
    return this.entries.size
  }

  /** The cached value, if `token` is cached and `now` (epoch ms) is within its window. */
  get(token: string, now: number): T | undefined {
    const entry = this.entries.get(token)
    if (entry === undefined) return undefined
    this.entries.delete(token)
    if (now < entry.notBefore || now > entry.notAfter) return undefined
    this.entries.set(token, entry) // now the most recently used
    return entry.value
  }

  /** Caches `value` for `token` between `notBefore` and `notAfter` (epoch ms, inclusive). */
  set(token: string, value: T, notBefore: number, notAfter: number): void {
    this.entries.delete(token)
    this.entries.set(token, { value, notBefore, notAfter })
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
  }
}
