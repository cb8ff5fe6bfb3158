import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeCommand, normalizeCommand } from '../../../src/core/engine/shell.js';

const PIECES = [
  "'",
  '"',
  '\\',
  '$',
  '(',
  ')',
  '`',
  ';',
  '&',
  '|',
  '<',
  '>',
  ' ',
  '\n',
  '\t',
  '{',
  '}',
  '#',
  '=',
  '$(',
  '${',
  '$((',
  '<(',
  '((',
  '))',
  '<<',
  '<<<',
  'EOF',
  '\nEOF\n',
  '2>&1',
  '&>',
  ';;',
  "$'",
  'A=(',
  '\x1b[0m',
  '\x00',
  'rm',
  '-rf',
  '/',
  '~',
  'bash -c ',
  'sh -lc ',
  'sudo ',
  'sudo -u root ',
  'su -c ',
  'doas ',
  'eval ',
  'env ',
  'env -S ',
  'X=1 ',
  'timeout 5 ',
  'nice -n 5 ',
  'xargs ',
  'busybox ',
  'command ',
  'exec ',
  'find ',
  '-delete',
  '-exec ',
  'if ',
  'then ',
  'fi',
  'for ',
  'do ',
  'done',
  'case ',
  ' in ',
  'esac',
  'function ',
  '!',
  'export ',
  '/bin/',
  './',
  '--',
  '-',
  'a',
  '0',
];

/** arbitrary text, arbitrary bytes, and soups of shell syntax */
const shellish = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((a) => a.join('')),
);

const sq = (s: string): string => `'${s.split("'").join("'\\''")}'`;
const dq = (s: string): string => `"${s.replace(/[\\"$`]/g, (m) => `\\${m}`)}"`;
const bt = (s: string): string => `\`${s.replace(/[\\`]/g, (m) => `\\${m}`)}\``;

/** a prefix command such as `timeout 5` only applies to `x` when `x` starts with a plain command word (not a
 *  keyword, group or NAME=value, which a launcher would take as a program name) */
const prefixed =
  (prefix: string) =>
  (x: string): string =>
    /^\s*(?:[({!]|(?:if|for|while|until|case)\s|[A-Za-z_]\w*=)/.test(x) ? `${prefix} sh -c ${sq(x)}` : `${prefix} ${x}`;

/** ways of hiding a command string; each keeps the command executed */
const WRAPPERS: ReadonlyArray<(x: string) => string> = [
  (x) => `bash -c ${sq(x)}`,
  (x) => `sh -c ${dq(x)}`,
  (x) => `bash -lc ${sq(x)}`,
  prefixed('env X=1'),
  prefixed('FOO=1'),
  prefixed('timeout 5'),
  prefixed('nice -n 5'),
  prefixed('sudo'),
  prefixed('sudo -u root'),
  prefixed('command'),
  prefixed('ls | xargs'),
  (x) => `true && ${x}`,
  (x) => `${x}; true`,
  // `$((` and a leading `((` are arithmetic in bash, so a nested subshell needs a space
  (x) => (x.startsWith('(') ? `echo $( ${x})` : `echo $(${x})`),
  (x) => `echo ${bt(x)}`,
  (x) => `eval ${sq(x)}`,
  (x) => `su -c ${sq(x)}`,
  (x) => `su root -c ${dq(x)}`,
  (x) => `bash <<< ${sq(x)}`,
  (x) => `${prefixed('nohup')(x)} &`,
  (x) => (x.startsWith('(') ? `( ${x})` : `(${x})`),
  (x) => `{ ${x}; }`,
  (x) => `if true; then ${x}; fi`,
];

/** disguises of the first word of the core command */
const FIRST_WORD: ReadonlyArray<(w: string) => string> = [
  (w) => w,
  (w) => `/usr/bin/${w}`,
  (w) => `'${w.slice(0, 1)}'${w.slice(1)}`,
  (w) => `${w.slice(0, 1)}"${w.slice(1)}"`,
  (w) => `${w.slice(0, 1)}\\${w.slice(1)}`,
  (w) => `$'${w}'`,
  (w) => `\\${w}`,
];

const CORES: ReadonlyArray<{ words: string[]; rest: string; expect: string[] }> = [
  { words: ['rm', '-rf', '/'], rest: '', expect: ['rm -rf /'] },
  { words: ['rm', '-fr', '/'], rest: '', expect: ['rm -rf /'] },
  { words: ['rm', '--recursive', '--force', '/'], rest: '', expect: ['rm -rf /'] },
  { words: ['rm', '-rf', '~'], rest: '', expect: ['rm -rf ~'] },
  { words: ['curl', 'x'], rest: ' | sh', expect: ['curl x', 'sh'] },
  { words: ['chmod', '777', '/etc/passwd'], rest: '', expect: ['chmod 777 /etc/passwd'] },
];

describe('shell analysis properties', () => {
  it('never throws and always returns a well-formed analysis', () => {
    fc.assert(
      fc.property(shellish, (s) => {
        const a = analyzeCommand(s);
        expect(typeof a.normalized).toBe('string');
        for (const c of a.components) {
          expect(c.forms[0]).toBe(c.text);
          expect(new Set(c.forms).size).toBe(c.forms.length);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('normalizeCommand is idempotent', () => {
    fc.assert(
      fc.property(shellish, (s) => {
        const n = normalizeCommand(s);
        expect(normalizeCommand(n)).toBe(n);
      }),
      { numRuns: 5000 },
    );
  });

  it('normalizeCommand is idempotent on nested wrappers around arbitrary text', () => {
    fc.assert(
      fc.property(
        shellish,
        fc.array(fc.integer({ min: 0, max: WRAPPERS.length - 1 }), { maxLength: 5 }),
        (core, chain) => {
          const cmd = chain.reduce((x, i) => WRAPPERS[i]!(x), core);
          const n = normalizeCommand(cmd);
          expect(normalizeCommand(n)).toBe(n);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('output size stays linear in the input (no re-quoting blow-up through nested wrappers)', () => {
    fc.assert(
      fc.property(
        shellish,
        fc.array(fc.integer({ min: 0, max: WRAPPERS.length - 1 }), { maxLength: 8 }),
        (core, chain) => {
          const cmd = chain.reduce((x, i) => WRAPPERS[i]!(x), core);
          const a = analyzeCommand(cmd);
          const budget = 16 * (cmd.length + 16);
          expect(a.normalized.length).toBeLessThan(budget);
          const formChars = a.components.reduce((t, c) => t + c.forms.reduce((u, f) => u + f.length, 0), 0);
          expect(formChars).toBeLessThan(16 * budget);
        },
      ),
      { numRuns: 1000 },
    );
    expect(normalizeCommand(`${'eval '.repeat(12)}x`).length).toBeLessThan(100);
  });

  it('a dangerous command stays visible through any chain of disguises', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CORES),
        fc.integer({ min: 0, max: FIRST_WORD.length - 1 }),
        fc.array(fc.integer({ min: 0, max: WRAPPERS.length - 1 }), { maxLength: 6 }),
        (core, fw, chain) => {
          const first = FIRST_WORD[fw]!(core.words[0]!);
          const base = [first, ...core.words.slice(1)].join(' ') + core.rest;
          const cmd = chain.reduce((x, i) => WRAPPERS[i]!(x), base);
          const a = analyzeCommand(cmd);
          expect(a.failClosed).toBeUndefined();
          for (const form of core.expect) {
            expect(
              a.components.some((c) => c.forms.includes(form)),
              `${JSON.stringify(cmd)} should have a component with form ${JSON.stringify(form)}`,
            ).toBe(true);
          }
          expect(normalizeCommand(a.normalized)).toBe(a.normalized);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('linear time on adversarial input', () => {
  let nestedSq = 'rm -rf /';
  while (nestedSq.length < 8192) nestedSq = `bash -c ${sq(nestedSq)}`;
  let nestedDq = 'rm -rf /';
  while (nestedDq.length < 8192) nestedDq = `sh -c ${dq(nestedDq)}`;
  const adversarial: Record<string, string> = {
    'unclosed $(': '$('.repeat(4096),
    'single quotes': "'".repeat(8192),
    'double quotes': '"'.repeat(8192),
    'mixed quotes': `'"`.repeat(4096),
    'a&&': 'a&&'.repeat(2730),
    'nested bash -c (single quotes)': nestedSq,
    'nested sh -c (double quotes)': nestedDq,
    backticks: '`'.repeat(8192),
    'escaped backticks': '\\`'.repeat(4096),
    'unclosed ${': '${'.repeat(4096),
    'nested ${': '${a:-'.repeat(1340) + '}'.repeat(1340),
    'eval chain': 'eval '.repeat(1638),
    'sudo chain': 'sudo '.repeat(1637) + 'rm',
    'env -S chain': 'env -S '.repeat(1170),
    'open parens': '('.repeat(8192),
    'spaced parens': '( '.repeat(2048) + ') '.repeat(2048),
    '$((': '$(('.repeat(2730),
    'process substitutions': '<('.repeat(4096),
    heredocs: '<<EOF\n'.repeat(1365),
    'OSC escapes': '\x1b]'.repeat(4096),
    newlines: 'a\n'.repeat(4096),
    'long privilege prefix': `sudo -u ${'x'.repeat(400)} bash -c "${'a;'.repeat(3800)}"`,
    'case arms': `case x in ${'a) b;; '.repeat(1150)}esac`,
    'rm flags': `rm ${'-rf '.repeat(2000)}`,
  };

  // CI machines are slow and noisy, so the assertions are loose (50 ms per 8 KB input, 10 ms mean over the set);
  // the tight figure (well under 5 ms per 8 KB input on a laptop) is what the benchmark tracks.
  it('analyses each 8 KB adversarial input quickly', () => {
    const means: number[] = [];
    for (const [name, input] of Object.entries(adversarial)) {
      expect(input.length, name).toBeGreaterThanOrEqual(8000);
      for (let i = 0; i < 3; i++) analyzeCommand(input);
      const runs = 10;
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) analyzeCommand(input);
      const mean = (performance.now() - t0) / runs;
      means.push(mean);
      expect(mean, `${name}: ${mean.toFixed(2)} ms`).toBeLessThan(50);
    }
    const overall = means.reduce((x, y) => x + y, 0) / means.length;
    expect(overall).toBeLessThan(10);
  });

  it('flags inputs it cannot trust instead of giving up silently', () => {
    expect(analyzeCommand(adversarial['unclosed $(']!).failClosed).toBeDefined();
    expect(analyzeCommand(adversarial['a&&']!).failClosed).toBeDefined();
    expect(analyzeCommand(adversarial['single quotes']!).failClosed).toBeUndefined();
  });

  it('handles very long word lists without exhausting the stack', () => {
    for (const input of ['sudo '.repeat(40_000) + 'rm -rf /', `rm -rf ${'x '.repeat(100_000)}`, 'eval '.repeat(40_000)]) {
      const a = analyzeCommand(input);
      expect(a.failClosed ?? '').not.toMatch(/analysis failed/);
    }
  });

  it('stays fast on 64 KB inputs (no quadratic blow-up)', () => {
    for (const unit of ['(', '((', '$(', "'", 'a;', 'sudo ', '\\`', '${a:-']) {
      const input = unit.repeat(Math.ceil(65536 / unit.length));
      const t0 = performance.now();
      analyzeCommand(input);
      expect(performance.now() - t0, JSON.stringify(unit)).toBeLessThan(250);
    }
  });
});
