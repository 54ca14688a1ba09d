import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { signingKeyFile } from '../../src/auth/key-file.js'
import { loadKeyRing } from '../../src/auth/keys.js'
import { DataDirLockedError, lockDataDir } from '../../src/storage/data-dir-lock.js'
import { FileUserStore } from '../../src/users/file-user-store.js'
import type { User } from '../../src/users/user.js'
import { userStoreContract } from '../support/user-store-contract.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-dir-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const user = (email: string): User => ({
  email,
  name: 'Someone',
  role: 'sales_rep',
  password_hash: 'scrypt$1$1$1$c2FsdA$aGFzaA',
  created_at: new Date('2025-03-01T12:00:00.000Z'),
  disabled: false,
  token_generation: 0,
})

userStoreContract('file', async () => ({
  store: await FileUserStore.open(join(dir, `users-${Math.random()}.json`)),
  cleanup: () => Promise.resolve(),
}))

describe('users kept in DATA_DIR', () => {
  it('are read back after a reopen, changes and token generations included, from a file only the owner can read', async () => {
    const path = join(dir, 'users.json')
    const store = await FileUserStore.open(path)
    await store.insert(user('a@test.local'))
    await store.insert(user('b@test.local'))
    await store.update('a@test.local', { name: 'Changed', disabled: true }, { revokeTokens: true })

    const reopened = await FileUserStore.open(path)
    expect(await reopened.count()).toBe(2)
    expect(await reopened.find('a@test.local')).toEqual({
      ...user('a@test.local'),
      name: 'Changed',
      disabled: true,
      token_generation: 1,
    })
    expect(await reopened.find('b@test.local')).toEqual(user('b@test.local'))
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    // Replaced atomically: no temporary file is left beside it.
    expect(await readdir(dir)).toEqual(['users.json'])
  })
})

describe('the signing key kept in DATA_DIR', () => {
  it('is generated once with mode 0600 and then reused: the same kid, so earlier tokens still verify', async () => {
    const path = join(dir, 'signing-key.pem')
    const first = await signingKeyFile(path)
    expect(first.created).toBe(true)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const again = await signingKeyFile(path)
    expect(again).toEqual({ pem: first.pem, created: false })
    expect(loadKeyRing(again.pem, undefined).signing.kid).toBe(loadKeyRing(first.pem, undefined).signing.kid)
    expect(loadKeyRing(again.pem, undefined).ephemeral).toBe(false)
  })

  it('is refused when other users may read it', async () => {
    const path = join(dir, 'signing-key.pem')
    await signingKeyFile(path)
    await chmod(path, 0o644)
    await expect(signingKeyFile(path)).rejects.toThrow(`${path} may be read by other users (mode 644): run chmod 600 on it`)
  })
})

describe('the DATA_DIR lock', () => {
  it('a second holder is refused with the lock file named; once released it can be taken', async () => {
    const lock = lockDataDir(dir)
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError)
    expect(() => lockDataDir(dir)).toThrow(`lock file ${join(dir, 'lock')}`)
    lock.release()
    expect(await readdir(dir)).toEqual([])
    lockDataDir(dir).release()
  })

  it('a lock left by a process that is gone (SIGKILL) is taken over at once', async () => {
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: 4_194_305, host: hostname(), since: '2025-03-01T00:00:00.000Z' }))
    const lock = lockDataDir(dir)
    expect(JSON.parse(await readFile(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid })
    lock.release()
  })

  it('a lock held by a live process, or from another host (which cannot be checked), is respected', async () => {
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: process.ppid, host: hostname(), since: '2025-03-01T00:00:00.000Z' }))
    expect(() => lockDataDir(dir)).toThrow(`DATA_DIR is in use by process ${process.ppid} on ${hostname()}`)
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: 4_194_305, host: 'elsewhere', since: '2025-03-01T00:00:00.000Z' }))
    expect(() => lockDataDir(dir)).toThrow('DATA_DIR is in use by process 4194305 on elsewhere')
  })
})
