import fp from 'fastify-plugin'
import type { Principal, VerifiedToken } from '../../auth/abilities.js'
import { type AccountCheck, createAccountCheck } from '../../auth/account-check.js'
import { AuthenticationError } from '../../auth/errors.js'
import { join } from 'node:path'
import { signingKeyFile } from '../../auth/key-file.js'
import { type KeyRing, loadKeyRing } from '../../auth/keys.js'
import { DATA_FILES } from '../../storage/embedded-storage.js'
import { type IssuedToken, createTokens } from '../../auth/tokens.js'

declare module 'fastify' {
  interface FastifyInstance {
    keyRing: KeyRing
    issueToken(user: { email: string; role: Principal['role']; token_generation: number }): Promise<IssuedToken>
    /** Verifies a token (signature, claims, key by `kid`) and that its account is enabled and unchanged. */
    verifyToken(token: string | undefined): Promise<VerifiedToken>
    /** The account check behind `verifyToken` (its cache is cleared by account changes: see `sessions`). */
    accounts: AccountCheck
  }
}

/** RS256 tokens: the key ring, issuing, and the one verification every transport uses (HTTP, Socket.IO, WebSocket). */
export default fp(
  async (app) => {
    const { jwt: settings } = app.config
    const { dataDir } = app.storage
    // Embedded with a data directory and no JWT_SECRET: the key generated on the first start, kept there.
    const kept =
      settings.secret === undefined && dataDir !== undefined
        ? await signingKeyFile(join(dataDir, DATA_FILES.signingKey))
        : undefined
    if (kept?.created) app.log.info({ data_dir: dataDir }, 'no JWT_SECRET: generated a signing key and kept it in DATA_DIR')
    const keyRing = loadKeyRing(settings.secret ?? kept?.pem, settings.publicKey)
    if (keyRing.ephemeral) {
      app.log.warn('no JWT_SECRET: signing tokens with a key generated at start; tokens die with this process')
    }
    const tokens = createTokens(keyRing, settings)
    const accounts = createAccountCheck(app.users)
    app.decorate('accounts', accounts)

    app.decorate('keyRing', keyRing)
    app.decorate(
      'issueToken',
      async ({ email, role, token_generation }: { email: string; role: Principal['role']; token_generation: number }) =>
        tokens.issue({ sub: email, role, gen: token_generation }),
    )
    app.decorate('verifyToken', async (token: string | undefined): Promise<VerifiedToken> => {
      if (!token) throw new AuthenticationError('AUTH.TOKEN_REQUIRED', 'Send a token: Authorization: Bearer <token>')
      const { sub, role, exp, gen } = tokens.verify(token)
      await accounts.assertCurrent({ sub, role, gen })
      return { sub, role, gen, expiresAt: exp * 1000 }
    })
  },
  { name: 'tokens', dependencies: ['config', 'storage', 'users'] },
)
