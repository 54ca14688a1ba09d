import { type KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { ConfigError } from '../infra/config.js'

/** A public key as published in the JWKS document (RFC 7517). */
export interface PublicJwk {
  kty: 'RSA'
  n: string
  e: string
  kid: string
  alg: 'RS256'
  use: 'sig'
}

/** The signing key and every key tokens may be verified with, by `kid`. */
export interface KeyRing {
  signing: { kid: string; privateKeyPem: string }
  /** `kid` → PEM public key. Holds the signing key's own and any older ones still trusted. */
  verification: ReadonlyMap<string, string>
  jwks: { keys: PublicJwk[] }
  /** True when the key pair was generated at start (embedded mode): tokens die with the process. */
  ephemeral: boolean
}

const MIN_RSA_BITS = 2048

/**
 * Loads the RS256 keys: `JWT_SECRET` is the private key (PEM text or a file path);
 * `JWT_PUBLIC_KEY` optionally adds public keys (PEM text or a path, several PEM blocks
 * allowed) — e.g. the previous key during a rotation, so its tokens stay valid until
 * they expire. Without `JWT_SECRET`, a key pair is generated (embedded mode only).
 */
export function loadKeyRing(secret: string | undefined, publicKeys: string | undefined): KeyRing {
  let privateKey: KeyObject
  let ephemeral = false
  if (secret === undefined) {
    privateKey = generateKeyPairSync('rsa', { modulusLength: MIN_RSA_BITS }).privateKey
    ephemeral = true
  } else {
    privateKey = parseKey('JWT_SECRET', secret, (pem) => createPrivateKey(pem))
  }
  const ownPublic = createPublicKey(privateKey)
  const extra =
    publicKeys === undefined
      ? []
      : pemBlocks('JWT_PUBLIC_KEY', pemText('JWT_PUBLIC_KEY', publicKeys)).map((pem) =>
          parseKey('JWT_PUBLIC_KEY', pem, (text) => createPublicKey(text)),
        )

  const verification = new Map<string, string>()
  const jwks: PublicJwk[] = []
  for (const key of [ownPublic, ...extra]) {
    const jwk = toJwk(key)
    if (verification.has(jwk.kid)) continue
    verification.set(jwk.kid, key.export({ format: 'pem', type: 'spki' }).toString())
    jwks.push(jwk)
  }
  const signingKid = toJwk(ownPublic).kid
  return {
    signing: { kid: signingKid, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() },
    verification,
    jwks: { keys: jwks },
    ephemeral,
  }
}

/** PEM text as given, or read from the file it names; `\n` escapes (common in env files) restored. */
function pemText(variable: string, value: string): string {
  const text = value.includes('-----BEGIN') ? value : readPemFile(variable, value)
  return text.replace(/\\n/g, '\n')
}

function readPemFile(variable: string, path: string): string {
  if (!existsSync(path)) throw new ConfigError(variable, `must be PEM text or the path of a PEM file (no file at "${path}")`)
  return readFileSync(path, 'utf8')
}

function pemBlocks(variable: string, text: string): string[] {
  const blocks = text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g)
  if (!blocks) throw new ConfigError(variable, 'holds no PEM block')
  return blocks
}

function parseKey(variable: string, value: string, parse: (pem: string) => KeyObject): KeyObject {
  let key: KeyObject
  try {
    key = parse(variable === 'JWT_SECRET' ? pemText(variable, value) : value)
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw new ConfigError(variable, `is not a readable PEM key (${(error as Error).message})`)
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
    throw new ConfigError(variable, `must be an RSA key of at least ${MIN_RSA_BITS} bits for RS256`)
  }
  return key
}

/** The public JWK with its RFC 7638 thumbprint as `kid`. */
function toJwk(key: KeyObject): PublicJwk {
  const { n, e } = key.export({ format: 'jwk' }) as { n: string; e: string }
  const kid = createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url')
  return { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' }
}
