import { generateKeyPairSync } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Role } from '../../src/auth/abilities.js'

export const TEST_PASSWORD = 'password-for-tests'

/** A user of that role (created once per app) and a fresh token for it. */
export async function tokenFor(
  app: FastifyInstance,
  role: Role,
  email = `${role.replace('_', '-')}@test.local`,
): Promise<string> {
  const user = (await app.users.find(email)) ?? (await app.users.create({ email, name: role, password: TEST_PASSWORD, role }))
  return (await app.issueToken(user)).access_token
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

let sharedKey: string | undefined

/** One RSA private key (PEM) per test process: instances that must accept each other's tokens share it. */
export function sharedJwtSecret(): string {
  sharedKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  return sharedKey
}

/** The default sales rep (`tokenFor(app, 'sales_rep')`): an admin placing an order must name one. */
export const TEST_SALES_REP = 'sales-rep@test.local'

/** Makes sure the default sales rep exists in `app`, and returns its e-mail. */
export async function ensureSalesRep(app: FastifyInstance): Promise<string> {
  await tokenFor(app, 'sales_rep', TEST_SALES_REP)
  return TEST_SALES_REP
}
