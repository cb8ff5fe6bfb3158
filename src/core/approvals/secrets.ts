import {chmodSync, mkdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {crypto} from '../lazy.js'
import {writeAtomic} from '../state/lock.js'

/** The server's bearer token: 64 hex characters in $RAMPART_HOME/token, mode 0600. */
export function tokenFile(rampartHome: string): string {
  return join(rampartHome, 'token')
}

/** Read the token, creating it on first use. A token file readable by others is tightened to 0600. */
export function ensureToken(rampartHome: string): string {
  return readToken(rampartHome) ?? rotateToken(rampartHome)
}

/** The token file's token when it holds a well-formed one (64 hex characters), else undefined. */
export function readToken(rampartHome: string): string | undefined {
  return readHexSecret(tokenFile(rampartHome))
}

function readHexSecret(file: string): string | undefined {
  const text = readSecret(file)
  return text && /^[0-9a-f]{64}$/.test(text) ? text : undefined
}

/** Replace the token; every client holding the old one gets 401 from then on. */
export function rotateToken(rampartHome: string): string {
  mkdirSync(rampartHome, {recursive: true, mode: 0o700})
  const token = crypto().randomBytes(32).toString('hex')
  writeAtomic(tokenFile(rampartHome), token + '\n', 0o600)
  return token
}

/** The token a client should send: RAMPART_TOKEN, else the token file; undefined when neither exists. */
export function clientToken(rampartHome: string, env: Record<string, string | undefined> = process.env): string | undefined {
  return env.RAMPART_TOKEN?.trim() || readSecret(tokenFile(rampartHome))
}

function readSecret(file: string): string | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim()
    // a secret that others can read is no longer a secret of ours, but it is still ours to keep using
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600)
    return text || undefined
  } catch {
    return undefined
  }
}

/** Constant-time string comparison (the lengths of a token are public). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && crypto().timingSafeEqual(x, y)
}

/** The 32-byte key for signed approval links, $RAMPART_HOME/signing.key (0600), created on first use. */
export function ensureSigningKey(rampartHome: string): Buffer {
  const file = join(rampartHome, 'signing.key')
  const existing = readHexSecret(file)
  if (existing) return Buffer.from(existing, 'hex')
  mkdirSync(rampartHome, {recursive: true, mode: 0o700})
  const key = crypto().randomBytes(32)
  writeAtomic(file, key.toString('hex') + '\n', 0o600)
  return key
}

export type LinkAction = 'approve' | 'deny'

/** HMAC-SHA256 over `<action>:<id>:<exp>`, base64url (approvals.md "Signed links"). */
export function signLink(key: Buffer, action: LinkAction, id: string, exp: number): string {
  return crypto().createHmac('sha256', key).update(`${action}:${id}:${exp}`).digest('base64url')
}

export function verifyLink(key: Buffer, action: LinkAction, id: string, exp: number, sig: string, now = Date.now()): 'ok' | 'expired' | 'bad' {
  if (!safeEqual(signLink(key, action, id, exp), sig)) return 'bad'
  return exp * 1000 < now ? 'expired' : 'ok'
}

/** `X-Rampart-Signature: sha256=<hex hmac of the body>` for webhook receivers. */
export function webhookSignature(key: Buffer, body: string): string {
  return 'sha256=' + crypto().createHmac('sha256', key).update(body).digest('hex')
}
