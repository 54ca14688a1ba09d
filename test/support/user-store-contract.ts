import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type User, UserExistsError, type UserStore } from '../../src/users/user.js'

const user = (n: number, at: number): User => ({
  email: `u${n}@test.local`,
  name: `User ${n}`,
  role: 'sales_rep',
  password_hash: 'scrypt$1$1$1$c2FsdA$aGFzaA',
  created_at: new Date(at),
  disabled: false,
  token_generation: 0,
})

/** The user store behaviour both adapters must share. */
export function userStoreContract(adapter: string, make: () => Promise<{ store: UserStore; cleanup(): Promise<void> }>): void {
  describe(`user store contract (${adapter})`, () => {
    let store: UserStore
    let cleanup: () => Promise<void>
    beforeEach(async () => {
      const made = await make()
      store = made.store
      cleanup = () => made.cleanup()
      await store.ensureIndexes()
      await store.ensureIndexes()
    })
    afterEach(async () => {
      await cleanup()
    })

    it('stores, finds, and refuses a second user with the same e-mail', async () => {
      await store.insert(user(1, 1000))
      expect(await store.find('u1@test.local')).toEqual(user(1, 1000))
      expect(await store.find('u2@test.local')).toBeNull()
      await expect(store.insert({ ...user(1, 2000), name: 'Twin' })).rejects.toBeInstanceOf(UserExistsError)
      const racing = await Promise.allSettled([store.insert(user(2, 1)), store.insert(user(2, 2)), store.insert(user(2, 3))])
      expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      expect(await store.count()).toBe(2)
    })

    it('updates only the given fields', async () => {
      await store.insert(user(1, 1000))
      expect(await store.update('u1@test.local', { disabled: true, role: 'auditor' })).toEqual({
        ...user(1, 1000),
        disabled: true,
        role: 'auditor',
      })
      expect(await store.update('nobody@test.local', { disabled: true })).toBeNull()
    })

    it('revokes tokens by incrementing the generation in the same write', async () => {
      await store.insert(user(1, 1000))
      expect(await store.update('u1@test.local', { name: 'Renamed' })).toMatchObject({ token_generation: 0 })
      expect(await store.update('u1@test.local', { disabled: true }, { revokeTokens: true })).toMatchObject({
        disabled: true,
        token_generation: 1,
      })
      await store.update('u1@test.local', { disabled: false }, { revokeTokens: true })
      expect(await store.find('u1@test.local')).toMatchObject({ disabled: false, token_generation: 2 })
    })

    it('lists newest first, page by page, ties broken by e-mail', async () => {
      for (let n = 1; n <= 7; n++) await store.insert(user(n, n <= 2 ? 5000 : n * 1000))
      const seen: string[] = []
      let after: { created_at: Date; email: string } | undefined
      for (;;) {
        const page = await store.list(3, after)
        seen.push(...page.map((u) => u.email))
        const last = page.at(-1)
        if (page.length < 3 || !last) break
        after = { created_at: last.created_at, email: last.email }
      }
      expect(seen).toEqual(['u7', 'u6', 'u5', 'u2', 'u1', 'u4', 'u3'].map((u) => `${u}@test.local`))
    })
  })
}
