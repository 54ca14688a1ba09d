import { generateKeyPairSync } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { writeFileAtomically } from '../infra/atomic-file.js'

/**
 * The embedded mode's signing key: the RSA private key kept at `path` (PEM, mode 0600),
 * generated and written there the first time. Tokens it signed stay valid across restarts.
 * A key file others may read is refused, as ssh refuses such a private key.
 */
export async function signingKeyFile(path: string): Promise<{ pem: string; created: boolean }> {
  const existing = await stat(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  })
  if (existing) {
    if ((existing.mode & 0o077) !== 0) {
      throw new Error(`${path} may be read by other users (mode ${(existing.mode & 0o777).toString(8)}): run chmod 600 on it`)
    }
    return { pem: await readFile(path, 'utf8'), created: false }
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  await writeFileAtomically(path, pem, 0o600)
  return { pem, created: true }
}
