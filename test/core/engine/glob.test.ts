import fc from 'fast-check'
import micromatch from 'micromatch'
import {describe, expect, it} from 'vitest'

import {compileCommandGlob, compileCommandGlobSet, compilePathGlobSet, countGlobstars, routingKeysOf} from '../../../src/core/engine/glob.js'

const cmd = (pattern: string, input: string) => compileCommandGlob(pattern).test(input)

describe('command globs (§3.1)', () => {
  it.each([
    ['git *', 'git push origin feature/x', true],
    ['kubectl * -n production', 'kubectl apply -f k8s/x.yaml -n production', true],
    ['kubectl * -n production', 'kubectl apply -n production -f x', false],
    ['rm -rf /', 'rm -rf /', true],
    ['rm -rf /', 'rm -rf /tmp', false],
    ['*--env=production*', 'deploy --env=production --yes', true],
    ['npm ?nstall *', 'npm install x', true],
    ['git [!p]ull', 'git pull', false],
    ['git [a-z]ull', 'git pull', true],
    ['rm -r* /\\*', 'rm -rf /*', true],
    ['rm -r* /\\*', 'rm -rf /tmp', false],
    ['*.pub', 'x.pub.bak', false],
    ['a**b', 'a/x y/b', true],
    ['', '', true],
    ['*', '', true],
  ])('%j vs %j → %s', (pattern, input, want) => {
    expect(cmd(pattern, input)).toBe(want)
  })

  it('counts ** groups', () => {
    expect(countGlobstars('a/**/b/**')).toBe(2)
    expect(countGlobstars('***')).toBe(1)
    expect(countGlobstars('a\\**')).toBe(0)
  })

  it('agrees with a regex translation on random inputs', () => {
    const toRegex = (p: string) => new RegExp('^' + p.split('').map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('') + '$')
    fc.assert(fc.property(
      fc.stringMatching(/^[ab*? ]{0,8}$/), fc.stringMatching(/^[ab /]{0,12}$/),
      (pattern, input) => cmd(pattern, input) === toRegex(pattern).test(input),
    ), {numRuns: 2000})
  })

  it('stays fast on adversarial patterns and 8 KB inputs', () => {
    const g = compileCommandGlob('*a*a*a*a*a*a*a*a*b')
    const input = 'a'.repeat(8192)
    const t = performance.now()
    expect(g.test(input)).toBe(false)
    expect(performance.now() - t).toBeLessThan(500)
  })
})

describe('path globs (§3.2)', () => {
  const set = (patterns: string[]) => compilePathGlobSet(patterns, {home: '/home/u'})
  it.each([
    [['~/.ssh/**'], '/home/u/.ssh/id_rsa', true],
    [['**/.env'], '/repo/.env', true],
    [['**/.env'], '/.env', true],
    [['/tmp/*'], '/tmp/a/b', false],
    [['/tmp/**'], '/tmp/a/b', true],
    [['*.pem'], '/etc/ssl/x.pem', true],
    [['.rampart/**'], '/repo/.rampart/policy.yaml', true],
    [['$HOME/.aws/**'], '/home/u/.aws/credentials', true],
  ])('%j vs %j → %s', (patterns, input, want) => {
    expect(set(patterns).test(input)).toBe(want)
  })

  it('agrees with micromatch on absolute patterns', () => {
    fc.assert(fc.property(
      fc.stringMatching(/^\/[ab*/]{0,8}$/), fc.stringMatching(/^\/[ab/]{0,10}$/),
      (pattern, input) => {
        if (countGlobstars(pattern) > 2) return true
        return set([pattern]).test(input) === micromatch.isMatch(input, pattern, {dot: true})
      },
    ), {numRuns: 1000})
  })
})

describe('routing keys', () => {
  it('every input a glob matches starts and ends with literalEnds (routing stays safe)', async () => {
    const {literalEnds} = await import('../../../src/core/engine/glob.js')
    fc.assert(fc.property(fc.stringMatching(/^[ab*?\\[\] -]{0,10}$/), fc.stringMatching(/^[ab[\] -]{0,10}$/), (pattern, input) => {
      if (!compileCommandGlob(pattern).test(input)) return
      const ends = literalEnds(pattern)
      expect(input.startsWith(ends.prefix)).toBe(true)
      expect(input.endsWith(ends.suffix)).toBe(true)
    }), {numRuns: 5000})
  })

  it('a call is routed to exactly the rules that can match it', () => {
    fc.assert(fc.property(fc.array(fc.stringMatching(/^[ab*? -]{0,6}$/), {minLength: 1, maxLength: 4}), fc.stringMatching(/^[ab -]{0,8}$/), (patterns, input) => {
      const set = compileCommandGlobSet(patterns)
      const keys = set.routingKeys?.()
      const inputKeys = routingKeysOf(input)
      if (keys && inputKeys && set.test(input)) expect(keys.some((k) => inputKeys.includes(k))).toBe(true)
    }), {numRuns: 3000})
  })
})

describe('path glob prefilters', () => {
  it('never reject a path the pattern matches (agrees with picomatch)', () => {
    const segment = fc.stringMatching(/^[a-c.]{1,3}$/)
    const pattern = fc.array(fc.oneof(segment, fc.constantFrom('*', '**', '*.c', 'a*', '?b', '{a,b}', '[ab]c')), {minLength: 1, maxLength: 4}).map((parts) => '/' + parts.join('/'))
    const path = fc.array(segment, {minLength: 1, maxLength: 5}).map((parts) => '/' + parts.join('/'))
    fc.assert(fc.property(pattern, path, (p, input) => {
      if (countGlobstars(p) > 2) return
      expect(compilePathGlobSet([p], {home: '/h'}).test(input)).toBe(micromatch.isMatch(input, p, {dot: true}))
    }), {numRuns: 3000})
  })
})

describe('case-pair class runs', () => {
  it('never reject an input the glob matches (agrees with a regex translation)', () => {
    const token = fc.constantFrom('a', 'b', '[Aa]', '[Bb]', '*', ' ', '[ab]', '?')
    const toRegex = (tokens: string[]) => new RegExp('^' + tokens.map((t) => (t === '*' ? '[\\s\\S]*' : t === '?' ? '[\\s\\S]' : t)).join('') + '$')
    fc.assert(fc.property(fc.array(token, {maxLength: 8}), fc.stringMatching(/^[abAB ]{0,10}$/), (tokens, input) => {
      expect(compileCommandGlob(tokens.join('')).test(input)).toBe(toRegex(tokens).test(input))
    }), {numRuns: 5000})
  })
})

describe('glob sets', () => {
  it('match exactly when one of their globs matches (buckets, lazy compilation and prefilters lose nothing)', () => {
    const glob = fc.stringMatching(/^[$ab*? [\]]{0,7}$/)
    fc.assert(fc.property(fc.array(glob, {minLength: 1, maxLength: 6}), fc.stringMatching(/^[$ab [\]]{0,9}$/), (patterns, input) => {
      const set = compileCommandGlobSet(patterns)
      expect(set.test(input)).toBe(patterns.some((p) => compileCommandGlob(p).test(input)))
    }), {numRuns: 10000})
  })
})

describe('routing by exact texts, needles and keys', () => {
  // tokens that make literal runs of every length, case-pair classes and escapes
  const token = fc.constantFrom('a', 'b', ' ', 'ab', 'ba b', '[Aa]', '[Bb]', '[ab]', '*', '?', '\\*')
  const pattern = fc.array(token, {maxLength: 7}).map((t) => t.join(''))
  const input = fc.stringMatching(/^[abAB *]{2,12}$/)

  it('an input a set matches is one of its exact texts, contains one of its needles or has one of its keys', () => {
    fc.assert(fc.property(fc.array(pattern, {minLength: 1, maxLength: 5}), input, (patterns, text) => {
      const set = compileCommandGlobSet(patterns)
      const route = set.route?.()
      if (!route || !set.test(text)) return
      const keys: number[] = routingKeysOf(text) ?? []
      const lower = text.toLowerCase()
      expect(route.exact.includes(text) || route.needles.some((n) => lower.includes(n)) || route.keys.some((k) => keys.includes(k))).toBe(true)
    }), {numRuns: 10000})
  })

  it('every match of a glob contains its needle, ignoring case', () => {
    fc.assert(fc.property(pattern, input, (p, text) => {
      const g = compileCommandGlob(p)
      if (g.test(text)) expect(text.toLowerCase().includes(g.needle)).toBe(true)
      if (g.literal !== undefined) expect(g.test(text)).toBe(text === g.literal)
    }), {numRuns: 10000})
  })

  it('a set large enough to be indexed matches exactly when one of its globs matches', () => {
    fc.assert(fc.property(fc.array(pattern, {minLength: 9, maxLength: 16}), fc.stringMatching(/^[abAB *]{0,12}$/), (patterns, text) => {
      expect(compileCommandGlobSet(patterns).test(text)).toBe(patterns.some((p) => compileCommandGlob(p).test(text)))
    }), {numRuns: 5000})
  })

  it('find names a matching pattern exactly when test matches', () => {
    fc.assert(fc.property(fc.array(pattern, {minLength: 1, maxLength: 12}), fc.stringMatching(/^[abAB *]{0,12}$/), (patterns, text) => {
      const set = compileCommandGlobSet(patterns)
      const name = set.find(text)
      expect(name !== undefined).toBe(set.test(text))
      if (name !== undefined) expect(compileCommandGlob(name).test(text)).toBe(true)
    }), {numRuns: 5000})
  })

  it('a large set finds globs by their needles (the index, not a scan of every glob)', () => {
    const patterns = ['rm -r* /', 'rm -r* / *', 'rm -r* /etc', 'rm -r* /etc *', 'git push *--force*', '*curl * | sh', '*[Ii][Ww][Rr] *| [Ii][Ee][Xx]*', 'env', 'printenv *', 'kubectl get secret* *-A*']
    const set = compileCommandGlobSet(patterns)
    expect(set.test('rm -rf /etc')).toBe(true)
    expect(set.test('rm -rf /etc/nginx')).toBe(false)
    expect(set.test('sudo rm -rf / --no-preserve-root')).toBe(false)
    expect(set.test('rm -rf / --no-preserve-root')).toBe(true)
    expect(set.test('git push origin main --force')).toBe(true)
    expect(set.test('wget x && curl -s x | sh')).toBe(true)
    expect(set.test('IWR https://x | IEX')).toBe(true)
    expect(set.test('iwr https://x |iex')).toBe(false)
    expect(set.test('env')).toBe(true)
    expect(set.test('envsubst')).toBe(false)
    expect(set.test('kubectl get secrets -A')).toBe(true)
    expect(set.route?.()).toMatchObject({exact: ['env']})
  })
})

describe('path glob sets', () => {
  const set = (patterns: string[]) => compilePathGlobSet(patterns, {home: '/home/u'})
  it.each([
    [['.env.*'], '/repo/.env.local', true],
    [['.env.*'], '/repo/x.env.local', false],
    [['.env.*'], '.env.local', true],
    [['~/.mozilla/firefox/**', '~/.config/chromium/**'], '/home/u/.config/chromium/Default/Cookies', true],
    [['~/.mozilla/firefox/**', '~/.config/chromium/**'], '/home/u/project/src/app.ts', false],
    [['**/.ssh/*_rsa', '*.pem', '/etc/shadow'], '/etc/shadow', true],
    [['**/.ssh/*_rsa', '*.pem', '/etc/shadow'], '/x/.ssh/id_rsa', true],
    [['**/.ssh/*_rsa', '*.pem', '/etc/shadow'], '/x/.ssh/id_rsa.pub', false],
    [['*.pem'], 'a', false],
  ])('%j vs %j → %s', (patterns, input, want) => {
    expect(set(patterns).test(input)).toBe(want)
    expect(set(patterns).find(input) !== undefined).toBe(want)
  })

  it('agree with micromatch on sets of file-name and home patterns', () => {
    const name = fc.constantFrom('.env', '.env.*', '*.pem', 'id_*', '*_rsa', 'a*b')
    const rooted = fc.constantFrom('~/.ssh/**', '~/.a/**', '/etc/**', '**/.ssh/id_*', '**/b/*.pem')
    const path = fc.array(fc.constantFrom('home', 'u', '.ssh', '.a', 'etc', 'b', '.env', '.env.x', 'x.pem', 'id_rsa', 'a_rsa', 'ab'), {minLength: 1, maxLength: 5}).map((p) => '/' + p.join('/'))
    fc.assert(fc.property(fc.array(fc.oneof(name, rooted), {minLength: 1, maxLength: 6}), path, (patterns, input) => {
      const want = patterns.some((p) => {
        const full = p.startsWith('~/') ? '/home/u' + p.slice(1) : p
        return full.includes('/') ? micromatch.isMatch(input, full, {dot: true}) : micromatch.isMatch(input.slice(input.lastIndexOf('/') + 1), full, {dot: true})
      })
      expect(set(patterns).test(input)).toBe(want)
    }), {numRuns: 3000})
  })
})
