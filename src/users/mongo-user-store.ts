import type { Collection, Db } from 'mongodb'
import { ensureIndexes, insertIfAbsent } from '../infra/mongo-collections.js'
import { type User, type StoredUserChanges, UserExistsError, type UserPageCursor, type UserStore } from './user.js'

type UserDocument = Omit<User, 'email' | 'token_generation'> & { _id: string; token_generation?: number }

/** Users in the `users` collection; the e-mail is the `_id`, so it is unique. */
export class MongoUserStore implements UserStore {
  private readonly users: Collection<UserDocument>

  constructor(db: Db) {
    this.users = db.collection<UserDocument>('users')
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.users, [{ key: { created_at: -1, _id: -1 }, name: 'newest_first' }])
  }

  async insert({ email, ...user }: User): Promise<void> {
    if (!(await insertIfAbsent(this.users, { _id: email, ...user }))) throw new UserExistsError(email)
  }

  async find(email: string): Promise<User | null> {
    const found = await this.users.findOne({ _id: email })
    return found && fromDocument(found)
  }

  async update(email: string, changes: StoredUserChanges, options: { revokeTokens?: boolean } = {}): Promise<User | null> {
    const updated = await this.users.findOneAndUpdate(
      { _id: email },
      { $set: changes, ...(options.revokeTokens ? { $inc: { token_generation: 1 } } : {}) },
      { returnDocument: 'after' },
    )
    return updated && fromDocument(updated)
  }

  async list(limit: number, after?: UserPageCursor): Promise<User[]> {
    const filter = after
      ? { $or: [{ created_at: { $lt: after.created_at } }, { created_at: after.created_at, _id: { $lt: after.email } }] }
      : {}
    const found = await this.users.find(filter).sort({ created_at: -1, _id: -1 }).limit(limit).toArray()
    return found.map(fromDocument)
  }

  count(): Promise<number> {
    return this.users.countDocuments()
  }
}

function fromDocument({ _id, ...user }: UserDocument): User {
  return { email: _id, ...user, token_generation: user.token_generation ?? 0 } // (users stored before generations: 0)
}
