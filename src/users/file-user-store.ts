import { readFile } from 'node:fs/promises'
import { writeFileAtomically } from '../infra/atomic-file.js'
import { MemoryUserStore } from './memory-user-store.js'
import type { StoredUserChanges, User, UserPageCursor, UserStore } from './user.js'

/**
 * Users of the embedded mode: served from memory, and every change written to one JSON file
 * (mode 0600: it holds password hashes) before it is acknowledged, by replacing the file
 * atomically. Users are few and change rarely, so rewriting the whole file is the simple
 * way to keep it consistent. Changes run one at a time; a change whose write fails is
 * undone in memory too, so memory never holds what the file does not.
 */
export class FileUserStore implements UserStore {
  private changing: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly path: string,
    private memory: MemoryUserStore,
  ) {}

  /** The users kept at `path` (none if there is no file yet). */
  static async open(path: string): Promise<FileUserStore> {
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    })
    const users = text === undefined ? [] : parseUsers(path, text)
    return new FileUserStore(path, new MemoryUserStore(users))
  }

  ensureIndexes(): Promise<void> {
    return Promise.resolve()
  }

  insert(user: User): Promise<void> {
    return this.change((memory) => memory.insert(user))
  }

  update(email: string, changes: StoredUserChanges, options?: { revokeTokens?: boolean }): Promise<User | null> {
    return this.change((memory) => memory.update(email, changes, options))
  }

  find(email: string): Promise<User | null> {
    return this.memory.find(email)
  }

  list(limit: number, after?: UserPageCursor): Promise<User[]> {
    return this.memory.list(limit, after)
  }

  count(): Promise<number> {
    return this.memory.count()
  }

  private change<T>(apply: (memory: MemoryUserStore) => Promise<T>): Promise<T> {
    const run = this.changing.then(async () => {
      const before = this.memory.all()
      const result = await apply(this.memory)
      try {
        await writeFileAtomically(this.path, `${JSON.stringify({ users: this.memory.all() }, null, 2)}\n`)
      } catch (error) {
        this.memory = new MemoryUserStore(before)
        throw error
      }
      return result
    })
    this.changing = run.catch(() => undefined)
    return run
  }
}

function parseUsers(path: string, text: string): User[] {
  try {
    const { users } = JSON.parse(text) as { users: (Omit<User, 'created_at'> & { created_at: string })[] }
    return users.map((user) => ({ ...user, created_at: new Date(user.created_at) }))
  } catch (error) {
    throw new Error(`${path} is not a users file this service wrote: ${(error as Error).message}`, { cause: error })
  }
}
