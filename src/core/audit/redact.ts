/**
 * Secrets out of text before it reaches the audit trail. The trail is hash-chained, so a secret written there
 * could never be removed without breaking the chain: redaction has to happen before hashing, and it errs on the
 * side of hiding too much.
 *
 * Every pattern is linear: no nested quantifiers, and token patterns may only start where a run of token
 * characters starts (a lookbehind), so a long run is scanned once rather than once per position in it.
 */

export const REDACTED = '[REDACTED]'

/** Names whose value is a secret: `password=…`, `"api_key": "…"`, `DB_PASSWORD=…` (the prefix is kept). */
const SECRET_KEY = 'password|passwd|pwd|secret|secret[_-]?key|private[_-]?key|token|api[_-]?key|access[_-]?key'

// a quoted value keeps its quotes (an unterminated quote runs to the end of the line); an unquoted one stops
// where a shell or a URL query would end it
const VALUE = `"(?:[^"\\\\\\n]|\\\\.)*"?|'[^'\\n]*'?|[^\\s"'&;|)\`<>]+`

interface Rule {
  re: RegExp
  replace: (match: string, ...groups: string[]) => string
}

const keepQuotes = (value: string): string => {
  const q = value[0]
  if (q !== '"' && q !== "'") return REDACTED
  return value.length > 1 && value.endsWith(q) ? `${q}${REDACTED}${q}` : `${q}${REDACTED}`
}

const RULES: Rule[] = [
  {
    // the body is base64 (no "-"); a block cut short is redacted up to where it stops
    re: /-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY-----[^-]*(-----END[ A-Z0-9]{0,40}PRIVATE KEY-----)?/g,
    replace: (match, end) => `${match.slice(0, match.indexOf('-----', 5) + 5)}${REDACTED}${end ?? ''}`,
  },
  {
    // https://user:pass@host: the user stays, the password goes
    re: /(\/\/[^\s/@:]+:)[^\s/@]+@/g,
    replace: (_match, userinfo) => `${userinfo}${REDACTED}@`,
  },
  {
    re: /(authorization["']?[ \t]*[:=][ \t]*["']?)((?:bearer|basic|token|digest)[ \t]+)?[^\s"']+/gi,
    replace: (_match, header, scheme) => `${header}${scheme ?? ''}${REDACTED}`,
  },
  {
    // `key=value` anywhere; `key: value` only with a space after the colon or a quoted key, so that
    // `docker run -v $PWD:/app` keeps its path
    re: new RegExp(`(${SECRET_KEY})(["']?[ \\t]*=[ \\t]*|["'][ \\t]*:[ \\t]*|[ \\t]*:[ \\t]+)(${VALUE})`, 'gi'),
    replace: (_match, key, sep, value) => `${key}${sep}${keepQuotes(value)}`,
  },
  {
    re: new RegExp(`(--(?:password|passwd|token|secret|api-key|api_key|access-key|access_key))([ \\t]+)(${VALUE})`, 'gi'),
    replace: (_match, flag, space, value) => `${flag}${space}${keepQuotes(value)}`,
  },
  {
    // outside an Authorization header: a long enough credential after the scheme word
    re: /(?<![A-Za-z0-9_-])(Bearer|bearer|BEARER|Basic)([ \t]+)[A-Za-z0-9._~+/=-]{8,}/g,
    replace: (_match, scheme, space) => `${scheme}${space}${REDACTED}`,
  },
  {re: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g, replace: () => REDACTED},
  {re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, replace: () => REDACTED},
  {re: /(?<![A-Za-z0-9_-])xox[abpr]-[A-Za-z0-9-]{10,}/g, replace: () => REDACTED},
  {re: /(?<![A-Za-z0-9_-])(?:sk-[A-Za-z0-9_-]{20,}|sk_(?:live|test)_[A-Za-z0-9]{16,})/g, replace: () => REDACTED},
  {re: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, replace: () => REDACTED},
]

/**
 * Text that every rule above needs somewhere in a match (a superset: a hit only means "run the rules"). Most
 * commands contain none of it, and the hook records every call, so they skip eleven regular expressions.
 */
const MAYBE = /-----BEGIN|@|authorization|passw|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|bearer|basic|akia|asia|gh[pousr]_|github_pat_|xox[abpr]-|sk[-_]|eyj/i

/** `text` with every secret it recognises replaced by [REDACTED] (key names and header names are kept). */
export function redact(text: string): string {
  return MAYBE.test(text) ? redactAll(text) : text
}

/** redact without the quick check (tests compare the two). */
export function redactAll(text: string): string {
  let out = text
  for (const rule of RULES) out = out.replace(rule.re, rule.replace as (match: string, ...rest: unknown[]) => string)
  return out
}

/** Field names whose string value is a secret whatever it looks like (`{"password": "hunter2"}`). */
const SECRET_FIELD = /(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|authorization)/i

/** A copy of `value` with every string redacted: objects and arrays are walked, other values kept. */
export function redactValue<T>(value: T): T {
  return walk(value, undefined) as T
}

function walk(value: unknown, field: string | undefined): unknown {
  if (typeof value === 'string') return field !== undefined && SECRET_FIELD.test(field) && value !== '' ? REDACTED : redact(value)
  if (Array.isArray(value)) return value.map((v) => walk(v, field))
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, k)
    return out
  }
  return value
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}
