/**
 * Shell command analysis for policy matching.
 *
 * Agents disguise dangerous commands (`bash -c '…'`, `'r'm`, `/bin/rm -fr`, `sudo …`, `$( … )`, …), so before policy
 * globs are matched we split a command into its simple commands and produce canonical text for each of them.
 *
 * The tokenizer below is hand-written on purpose instead of using a shell-parsing library: we need time linear in the
 * input even for adversarial strings (no backtracking regexes, bounded recursion), exact control over how quotes and
 * escapes are removed, and a canonical rendering that is a fixed point of itself (re-analysing `normalized` yields the
 * same string), which no general-purpose parser guarantees.
 *
 * Nothing here executes anything, expands variables or reads the filesystem.
 */

export interface ShellComponent {
  /** source text of this simple command as it appeared (trimmed) */
  raw: string;
  /** canonical text: quotes/escapes removed, leading NAME=value assignments dropped, transparent launchers unwrapped,
   *  executable path reduced to its basename, rm flags canonical, redirections removed, single spaces between words.
   *  A leading sudo/doas (with its options, as written) is KEPT here. Allow rules must cover this text. */
  text: string;
  /** every normalised variant for deny/ask/watch matching, deduplicated, `text` first: the sudo-stripped form,
   *  the form with redirections kept (e.g. `echo x > ~/.bashrc`), derived equivalents (`find T -delete` and
   *  `find T -exec rm -rf {} ;` / `find T -exec rm -rf {} +` also yield `rm -rf T`) */
  forms: string[];
  /** true when sudo or doas was stripped at this level or an enclosing one */
  privileged: boolean;
  /** basename of the executable after unwrapping, '' when none */
  executable: string;
  /** names of variables assigned here: `FOO=1 cmd`, `env FOO=1 cmd`, `export FOO=x`, `declare -x FOO=x`, bare `FOO=1` */
  assignments: string[];
}

export interface CommandAnalysis {
  raw: string;
  /** the whole command re-rendered from the components' `text` joined with canonical separators
   *  (' && ', ' || ', '; ', ' | ', ' & '), newline treated as '; ' */
  normalized: string;
  /** same with sudo/doas stripped */
  unprivileged: string;
  components: ShellComponent[];
  /** union of all components' assignments */
  assignments: string[];
  /** set when the analysis cannot be trusted (nesting deeper than 8 levels of wrappers/substitutions, more than 2000
   *  components); the engine then denies with this reason */
  failClosed?: string;
}

const MAX_DEPTH = 8;
const MAX_COMPONENTS = 2000;
// A privilege prefix is copied into every component of the wrapped script, so a long prefix over many components
// would make the output quadratic in the input. Real commands stay far below both bounds.
const MAX_PRIV_PREFIX = 512;
const PREFIX_BUDGET_BASE = 65536;
const PREFIX_BUDGET_PER_CHAR = 8;
// `env -S` re-splits a string into words; a fixed cap (not tied to depth) keeps the work linear and the truncated
// rendering identical on re-analysis.
const MAX_ENV_SPLITS = 8;

const DEPTH_REASON = `command nesting deeper than ${MAX_DEPTH} levels (wrappers/substitutions) cannot be analysed`;
const ENV_SPLIT_REASON = `env -S nested more than ${MAX_ENV_SPLITS} times cannot be analysed`;
const COUNT_REASON = `command has more than ${MAX_COMPONENTS} components`;
const BUDGET_REASON = 'command too large to analyse (privilege prefix or redirections repeated over many components)';
// Scripts of wrappers (eval, bash -c, su -c) are analysed again at each level: the text re-read that way may be a
// few times the input, which real commands never approach; `eval eval eval …` over kilobytes would be read once per
// level (up to MAX_DEPTH times).
const RESCAN_BASE = 4096;
const RESCAN_PER_CHAR = 4;
const RESCAN_REASON = 'command too large to analyse (kilobytes of script nested in eval / bash -c several levels deep)';

export function analyzeCommand(command: string): CommandAnalysis {
  const input = typeof command === 'string' ? command : String(command);
  return analyzeSimple(input) ?? analyzeFull(input);
}

// Most agent commands are plain words (`git status`, `npm run build`, `ls -la src`): for those the full analysis
// below can only collapse the spaces, so it is skipped. "Plain" means no quoting, expansion, separator, redirection,
// assignment or glob character, and a first word with no path and no special meaning to the analyser (launchers,
// shells, keywords, rm, find, eval, declarations). test/core/engine/shell.fast-path.test.ts checks that this gives
// exactly what analyzeFull gives.
const PLAIN = /^[A-Za-z0-9_./:,@%+\- \t]*$/;
const SPECIAL_FIRST_WORDS = new Set([
  'ash', 'bash', 'builtin', 'busybox', 'case', 'chronic', 'chrt', 'command', 'coproc', 'csh', 'dash', 'declare', 'do',
  'doas', 'done', 'elif', 'else', 'env', 'esac', 'eval', 'exec', 'export', 'fi', 'find', 'fish', 'for', 'function', 'if',
  'in', 'ionice', 'ksh', 'local', 'mksh', 'nice', 'nocorrect', 'noglob', 'nohup', 'pkexec', 'posh', 'rbash', 'readonly',
  'rm', 'runuser', 'select', 'setsid', 'sh', 'source', 'stdbuf', 'su', 'sudo', 'tcsh', 'then', 'time', 'timeout',
  'toybox', 'typeset', 'unbuffer', 'until', 'while', 'xargs', 'yash', 'zsh', '.',
]);

export function analyzeSimple(input: string): CommandAnalysis | undefined {
  if (input.length > 1024 || !PLAIN.test(input)) return undefined;
  const words = input.split(/[ \t]+/);
  if (words[0] === '') words.shift();
  if (words.length > 0 && words[words.length - 1] === '') words.pop();
  const first = words[0];
  if (first === undefined || first.includes('/') || first.startsWith('-') || SPECIAL_FIRST_WORDS.has(first)) return undefined;
  const text = words.join(' ');
  return {
    raw: input,
    normalized: text,
    unprivileged: text,
    components: [{raw: input.trim(), text, forms: [text], privileged: false, executable: first, assignments: []}],
    assignments: [],
  };
}

export function analyzeFull(input: string): CommandAnalysis {
  try {
    const st: State = {
      budget: PREFIX_BUDGET_BASE + PREFIX_BUDGET_PER_CHAR * input.length,
      rescan: RESCAN_BASE + RESCAN_PER_CHAR * input.length,
      comps: [],
      live: 0,
      dead: new Set(),
      formSets: new Map(),
      fail: null,
    };
    const items = analyzeScript(sanitize(input), { depth: 0, prefix: '', prefixDD: false, privileged: false }, st);
    const components = st.dead.size === 0 ? st.comps : st.comps.filter((c) => !st.dead.has(c));
    const assignments: string[] = [];
    const seen = new Set<string>();
    for (const c of components) {
      for (const a of c.assignments) {
        if (!seen.has(a)) {
          seen.add(a);
          assignments.push(a);
        }
      }
    }
    const res: CommandAnalysis = {
      raw: input,
      normalized: renderItems(items, false),
      unprivileged: renderItems(items, true),
      components,
      assignments,
    };
    if (st.fail !== null) res.failClosed = st.fail;
    return res;
  } catch (e) {
    // Defence in depth: the analyser is designed not to throw, but a policy engine must never crash open.
    return {
      raw: input,
      normalized: '',
      unprivileged: '',
      components: [],
      assignments: [],
      failClosed: `command analysis failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/** = analyzeCommand(command).normalized */
export function normalizeCommand(command: string): string {
  return analyzeCommand(command).normalized;
}

// ---------------------------------------------------------------------------------------------------------------------
// Sanitising

function isDroppedControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
}

function isShellMeta(c: string): boolean {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case ';':
    case '&':
    case '|':
    case '<':
    case '>':
    case '(':
    case ')':
    case '$':
    case '`':
    case "'":
    case '"':
    case '\\':
      return true;
    default:
      return false;
  }
}

/**
 * Removes terminal escape sequences and control characters. A whole CSI/OSC sequence is only dropped when it contains
 * no shell metacharacter: bash does not interpret escapes, so `ESC[1;rm -rf /` really runs `rm -rf /` after the `;`,
 * and dropping the sequence wholesale would hide that. Otherwise only the control bytes go.
 */
function sanitize(s: string): string {
  const n = s.length;
  let out = '';
  let run = 0;
  let i = 0;
  while (i < n) {
    const code = s.charCodeAt(i);
    if (code === 0x1b) {
      out += s.slice(run, i);
      i = escapeEnd(s, i);
      run = i;
      continue;
    }
    if (isDroppedControl(code)) {
      out += s.slice(run, i);
      i++;
      run = i;
      continue;
    }
    i++;
  }
  return out + s.slice(run);
}

/** index just after a harmless escape sequence starting at i (an ESC), or i + 1 to drop only the ESC */
function escapeEnd(s: string, i: number): number {
  const kind = s.charAt(i + 1);
  if (kind === '[') {
    let j = i + 2;
    for (;;) {
      const c = s.charAt(j);
      if ((c >= '0' && c <= '9') || c === ':' || c === '?' || c === '=') j++;
      else break;
    }
    const f = s.charAt(j);
    if ((f >= 'A' && f <= 'Z') || (f >= 'a' && f <= 'z') || f === '@') return j + 1;
    return i + 1;
  }
  if (kind === ']') {
    // Stops at the first ESC/control/metacharacter, so every byte is looked at a bounded number of times.
    for (let j = i + 2; j < s.length; j++) {
      const code = s.charCodeAt(j);
      if (code === 0x07) return j + 1;
      if (code === 0x1b) return s.charAt(j + 1) === '\\' ? j + 2 : i + 1;
      if (isDroppedControl(code) || isShellMeta(s.charAt(j))) return i + 1;
    }
  }
  return i + 1;
}

// ---------------------------------------------------------------------------------------------------------------------
// Lexing

type Seg =
  | { k: 'lit'; s: string }
  /** command or process substitution; rel/unpriv are filled in once the body has been analysed */
  | { k: 'sub'; open: '$(' | '<(' | '>('; body: string; rel: string; unpriv: string }
  /** text kept verbatim ($VAR, ${…}, $((…)), arrays); scan is searched for nested substitutions */
  | { k: 'raw'; s: string; scan: string | null };

interface Word {
  t: 'w';
  raw: string;
  segs: Seg[];
  /** any quoting or escaping present (quoted words are never reserved words) */
  quoted: boolean;
  start: number;
  end: number;
}

interface Redir {
  fd: string;
  op: string;
  target: Word | null;
  start: number;
  end: number;
  /** heredoc body once read */
  body: string | null;
  quotedDelim: boolean;
}

type Tok =
  | Word
  | { t: 'op'; op: string; start: number; end: number }
  | { t: 'r'; r: Redir }
  | { t: 'arith'; body: string; start: number; end: number };

function isDigit(c: string): boolean {
  return c.length === 1 && c >= '0' && c <= '9';
}

function isNameStart(c: string): boolean {
  return c.length === 1 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
}

/** `$1`, `$$`, `$?` …: one-character parameter names */
function isSpecialParam(c: string): boolean {
  return c.length === 1 && (isDigit(c) || '@*#?$!-'.includes(c));
}

function isNameChar(c: string): boolean {
  return isNameStart(c) || isDigit(c);
}

/** length of a leading `NAME=` / `NAME+=`, 0 when absent */
function assignPrefixLen(s: string): number {
  if (!isNameStart(s.charAt(0))) return 0;
  let j = 1;
  while (j < s.length && isNameChar(s.charAt(j))) j++;
  if (s.charAt(j) === '=') return j + 1;
  if (s.charAt(j) === '+' && s.charAt(j + 1) === '=') return j + 2;
  return 0;
}

function assignName(s: string): string | null {
  const len = assignPrefixLen(s);
  if (len === 0) return null;
  return s.slice(0, s.charAt(len - 2) === '+' ? len - 2 : len - 1);
}

function pushLit(segs: Seg[], s: string): void {
  if (s === '') return;
  const last = segs[segs.length - 1];
  if (last !== undefined && last.k === 'lit') last.s += s;
  else segs.push({ k: 'lit', s });
}

function newSub(open: '$(' | '<(' | '>(', body: string): Seg {
  return { k: 'sub', open, body, rel: '', unpriv: '' };
}

const P_CTX = 1;
const B_CTX = 2;
const D_CTX = 3;
const T_CTX = 4;

/**
 * Index of the `)` / `}` closing a construct whose body starts at i, or -1 when unterminated. Context-stack scanner
 * (quotes, nested substitutions, backticks) so it is linear; the lexer makes the same decisions, which keeps the
 * canonical rendering re-parseable into the same structure.
 */
function findClose(s: string, i: number, closer: ')' | '}'): number {
  const n = s.length;
  const stack: number[] = [closer === ')' ? P_CTX : B_CTX];
  while (i < n) {
    const top = stack[stack.length - 1];
    const c = s.charAt(i);
    if (top === D_CTX) {
      if (c === '\\') i += 2;
      else if (c === '"') {
        stack.pop();
        i++;
      } else if (c === '$' && s.charAt(i + 1) === '(') {
        stack.push(P_CTX);
        i += 2;
      } else if (c === '$' && s.charAt(i + 1) === '{') {
        stack.push(B_CTX);
        i += 2;
      } else if (c === '$' && isSpecialParam(s.charAt(i + 1))) {
        i += 2;
      } else if (c === '`') {
        stack.push(T_CTX);
        i++;
      } else i++;
      continue;
    }
    if (top === T_CTX) {
      if (c === '\\') i += 2;
      else if (c === '`') {
        stack.pop();
        i++;
      } else i++;
      continue;
    }
    switch (c) {
      case '\\':
        i += 2;
        break;
      case "'": {
        const j = s.indexOf("'", i + 1);
        if (j < 0) return -1;
        i = j + 1;
        break;
      }
      case '"':
        stack.push(D_CTX);
        i++;
        break;
      case '`':
        stack.push(T_CTX);
        i++;
        break;
      case '$': {
        const nx = s.charAt(i + 1);
        if (nx === '(') {
          stack.push(P_CTX);
          i += 2;
        } else if (nx === '{') {
          stack.push(B_CTX);
          i += 2;
        } else if (nx === "'") {
          const j = ansiEnd(s, i + 2);
          if (j >= n) return -1;
          i = j + 1;
        } else if (isSpecialParam(nx)) {
          // `$$` is a parameter, so a following `{` or `(` is not `${` / `$(`
          i += 2;
        } else i++;
        break;
      }
      case '(':
        stack.push(P_CTX);
        i++;
        break;
      case '{':
        if (top === B_CTX) stack.push(B_CTX);
        i++;
        break;
      case ')':
        if (top === P_CTX) {
          stack.pop();
          if (stack.length === 0) return i;
        }
        i++;
        break;
      case '}':
        if (top === B_CTX) {
          stack.pop();
          if (stack.length === 0) return i;
        }
        i++;
        break;
      default:
        i++;
    }
  }
  return -1;
}

/** index of the `'` ending a $'…' body starting at i (n when unterminated) */
function ansiEnd(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charAt(i);
    if (c === '\\') i += 2;
    else if (c === "'") return i;
    else i++;
  }
  return n;
}

function isHex(c: string): boolean {
  return isDigit(c) || (c >= 'a' && c <= 'f' && c.length === 1) || (c >= 'A' && c <= 'F' && c.length === 1);
}

/** decodes the body of $'…' (from i) and returns [decoded, index after the closing quote] */
function scanAnsi(s: string, i: number): [string, number] {
  const n = s.length;
  let out = '';
  while (i < n) {
    const c = s.charAt(i);
    if (c === "'") return [sanitize(out), i + 1];
    if (c !== '\\') {
      let j = i + 1;
      while (j < n && s.charAt(j) !== "'" && s.charAt(j) !== '\\') j++;
      out += s.slice(i, j);
      i = j;
      continue;
    }
    const e = s.charAt(i + 1);
    i += 2;
    switch (e) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'e':
      case 'E':
        out += '\x1b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
      case "'":
      case '"':
      case '?':
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        const max = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        let j = i;
        while (j < n && j - i < max && isHex(s.charAt(j))) j++;
        if (j === i) out += '\\' + e;
        else {
          const cp = parseInt(s.slice(i, j), 16);
          if (cp <= 0x10ffff) out += String.fromCodePoint(cp);
          i = j;
        }
        break;
      }
      case 'c': {
        // \cX is a control character (dropped by sanitize); a quote or backslash is never swallowed here so that
        // findClose/ansiEnd agree on where the string ends.
        const x = s.charAt(i);
        if (x !== '' && x !== "'" && x !== '\\') i++;
        else out += '\\c';
        break;
      }
      case '':
        out += '\\';
        break;
      default:
        if (e >= '0' && e <= '7') {
          let j = i;
          while (j < n && j - i < 2 && s.charAt(j) >= '0' && s.charAt(j) <= '7') j++;
          out += String.fromCharCode(parseInt(e + s.slice(i, j), 8) & 0xff);
          i = j;
        } else out += '\\' + e;
    }
  }
  return [sanitize(out), n];
}

function deescapeBacktick(b: string, inDq: boolean): string {
  let out = '';
  let run = 0;
  for (let i = 0; i < b.length; i++) {
    if (b.charAt(i) !== '\\') continue;
    const nx = b.charAt(i + 1);
    if (nx === '`' || nx === '\\' || nx === '$' || (inDq && nx === '"')) {
      out += b.slice(run, i);
      run = i + 1;
      i++;
    }
  }
  return out + b.slice(run);
}

function scanBacktick(s: string, i: number, segs: Seg[], inDq: boolean): number {
  const n = s.length;
  let j = i + 1;
  while (j < n) {
    const c = s.charAt(j);
    if (c === '\\') j += 2;
    else if (c === '`') break;
    else j++;
  }
  const end = Math.min(j, n);
  // Backticks are rendered as $( … ) so the canonical form has a single substitution syntax.
  segs.push(newSub('$(', deescapeBacktick(s.slice(i + 1, end), inDq)));
  return j < n ? j + 1 : n;
}

/** `$…` at i; returns the index after it */
function scanDollar(s: string, i: number, segs: Seg[], inDq: boolean): number {
  const n = s.length;
  const nx = s.charAt(i + 1);
  if (nx === '(') {
    const j = findClose(s, i + 2, ')');
    if (s.charAt(i + 2) === '(' && j >= 0 && s.charAt(j - 1) === ')' && j - 1 > i + 2) {
      segs.push({ k: 'raw', s: s.slice(i, j + 1), scan: s.slice(i + 3, j - 1) });
      return j + 1;
    }
    segs.push(newSub('$(', j < 0 ? s.slice(i + 2) : s.slice(i + 2, j)));
    return j < 0 ? n : j + 1;
  }
  if (nx === '{') {
    const j = findClose(s, i + 2, '}');
    if (j < 0) {
      // Unterminated: kept as literal text so the canonical rendering quotes it and stays stable.
      pushLit(segs, s.slice(i));
      return n;
    }
    segs.push({ k: 'raw', s: s.slice(i, j + 1), scan: s.slice(i + 2, j) });
    return j + 1;
  }
  if (!inDq && nx === "'") {
    const [decoded, end] = scanAnsi(s, i + 2);
    pushLit(segs, decoded);
    return end;
  }
  if (!inDq && nx === '"') return scanDouble(s, i + 2, segs, true);
  if (isNameStart(nx)) {
    let j = i + 2;
    while (j < n && isNameChar(s.charAt(j))) j++;
    segs.push({ k: 'raw', s: s.slice(i, j), scan: null });
    return j;
  }
  if (isSpecialParam(nx)) {
    segs.push({ k: 'raw', s: s.slice(i, i + 2), scan: null });
    return i + 2;
  }
  pushLit(segs, '$');
  return i + 1;
}

/** double-quoted text from i (after the opening quote); also used for heredoc bodies and ${…} contents */
function scanDouble(s: string, i: number, segs: Seg[], stopAtQuote: boolean): number {
  const n = s.length;
  while (i < n) {
    const c = s.charAt(i);
    if (c === '"' && stopAtQuote) return i + 1;
    if (c === '\\') {
      const nx = s.charAt(i + 1);
      if (nx === '\n') i += 2;
      else if (nx === '$' || nx === '`' || nx === '"' || nx === '\\') {
        pushLit(segs, nx);
        i += 2;
      } else {
        pushLit(segs, '\\');
        i++;
      }
      continue;
    }
    if (c === '$') {
      i = scanDollar(s, i, segs, true);
      continue;
    }
    if (c === '`') {
      i = scanBacktick(s, i, segs, true);
      continue;
    }
    let j = i + 1;
    while (j < n) {
      const d = s.charAt(j);
      if (d === '"' || d === '\\' || d === '$' || d === '`') break;
      j++;
    }
    pushLit(segs, s.slice(i, j));
    i = j;
  }
  return n;
}

function isWordChar(c: string): boolean {
  return !isShellMeta(c);
}

const REDIR_OPS = ['<<<', '<<-', '<<', '<>', '<&', '<', '>>', '>&', '>|', '>'];

const CMD_START_WORDS = new Set(['for', 'if', 'while', 'until', 'then', 'else', 'elif', 'do', '!', '{', 'time']);

/**
 * Produces tokens on demand, so that the tokens and words of one simple command are garbage by the time the next one
 * is analysed (holding every token of a long script at once made garbage collection dominate).
 */
class Lexer {
  private readonly n: number;
  private i = 0;
  private buf: Tok[] = [];
  private head = 0;
  private last: Tok | undefined;
  private pending: Redir[] = [];
  /** after one failed `((` probe the rest is treated as subshells, so repeated probes cannot go quadratic */
  private noArith = false;

  constructor(private readonly s: string) {
    this.n = s.length;
  }

  next(): Tok | undefined {
    this.fill(1);
    if (this.head >= this.buf.length) return undefined;
    const t = this.buf[this.head++];
    if (this.head === this.buf.length) {
      this.buf = [];
      this.head = 0;
    }
    return t;
  }

  /** the k-th token after the next one (0 = the next) without consuming it */
  peek(k: number): Tok | undefined {
    this.fill(k + 1);
    return this.buf[this.head + k];
  }

  all(): Tok[] {
    const out: Tok[] = [];
    for (let t = this.next(); t !== undefined; t = this.next()) out.push(t);
    return out;
  }

  private fill(k: number): void {
    while (this.buf.length - this.head < k && this.i < this.n) this.step();
  }

  private emit(t: Tok): void {
    this.buf.push(t);
    this.last = t;
  }

  private step(): void {
    const s = this.s;
    {
      const i = this.i;
      const c = s.charAt(i);
      if (c === ' ' || c === '\t') {
        this.i++;
      } else if (c === '\\' && s.charAt(i + 1) === '\n') {
        this.i += 2;
      } else if (c === '\n') {
        this.op('\n');
        if (this.pending.length > 0) this.readHeredocs();
      } else if (c === ';') {
        this.op(s.startsWith(';;&', i) ? ';;&' : s.startsWith(';;', i) ? ';;' : s.startsWith(';&', i) ? ';&' : ';');
      } else if (c === '&') {
        const nx = s.charAt(i + 1);
        if (nx === '&') this.op('&&');
        else if (nx === '>') this.redir('', s.charAt(i + 2) === '>' ? '&>>' : '&>', i);
        else this.op('&');
      } else if (c === '|') {
        const nx = s.charAt(i + 1);
        this.op(nx === '|' ? '||' : nx === '&' ? '|&' : '|');
      } else if (c === '(') {
        if (!(s.charAt(i + 1) === '(' && this.atCommandStart() && this.arith())) this.op('(');
      } else if (c === ')') {
        this.op(')');
      } else if ((c === '<' || c === '>') && s.charAt(i + 1) !== '(') {
        this.redir('', redirOpAt(s, i), i);
      } else if (isDigit(c) && this.fdRedir()) {
        // handled
      } else {
        this.emit(this.word());
      }
    }
  }

  private op(op: string): void {
    this.emit({ t: 'op', op, start: this.i, end: this.i + op.length });
    this.i += op.length;
  }

  private atCommandStart(): boolean {
    const last = this.last;
    if (last === undefined || last.t === 'op') return true;
    if (last.t !== 'w') return false;
    const kw = keyword(last);
    return kw !== null && CMD_START_WORDS.has(kw);
  }

  /** `(( … ))` arithmetic command; false when it is really nested subshells */
  private arith(): boolean {
    if (this.noArith) return false;
    const i = this.i;
    const j = findClose(this.s, i + 1, ')');
    if (j < 0 || this.s.charAt(j - 1) !== ')' || j - 1 <= i + 1) {
      this.noArith = true;
      return false;
    }
    this.emit({ t: 'arith', body: this.s.slice(i + 2, j - 1), start: i, end: j + 1 });
    this.i = j + 1;
    return true;
  }

  private fdRedir(): boolean {
    const s = this.s;
    let j = this.i;
    while (isDigit(s.charAt(j))) j++;
    const d = s.charAt(j);
    if ((d !== '<' && d !== '>') || s.charAt(j + 1) === '(') return false;
    const start = this.i;
    const fd = s.slice(start, j);
    this.i = j;
    this.redir(fd, redirOpAt(s, j), start);
    return true;
  }

  private redir(fd: string, op: string, start: number): void {
    const s = this.s;
    this.i += op.length;
    while (s.charAt(this.i) === ' ' || s.charAt(this.i) === '\t') this.i++;
    const c = s.charAt(this.i);
    let target: Word | null = null;
    if (c !== '' && c !== '\n' && c !== ';' && c !== '&' && c !== '|' && c !== '(' && c !== ')') {
      if (!((c === '<' || c === '>') && s.charAt(this.i + 1) !== '(')) target = this.word();
    }
    const r: Redir = { fd, op, target, start, end: this.i, body: null, quotedDelim: target?.quoted ?? false };
    if (op === '<<' || op === '<<-') this.pending.push(r);
    this.emit({ t: 'r', r });
  }

  private readHeredocs(): void {
    const s = this.s;
    for (const r of this.pending) {
      const strip = r.op === '<<-';
      const delim = r.target === null ? '' : wordValue(r.target);
      let body = '';
      while (this.i < this.n) {
        const e = s.indexOf('\n', this.i);
        const lineEnd = e < 0 ? this.n : e;
        const line = s.slice(this.i, lineEnd);
        this.i = e < 0 ? this.n : e + 1;
        const cmp = strip ? stripLeadingTabs(line) : line;
        if (cmp === delim) break;
        body += cmp + '\n';
      }
      r.body = body;
    }
    this.pending = [];
  }

  private word(): Word {
    const s = this.s;
    const n = this.n;
    const start = this.i;
    const segs: Seg[] = [];
    let quoted = false;
    let i = start;
    while (i < n) {
      const c = s.charAt(i);
      if (c === '<' || c === '>') {
        if (i === start && s.charAt(i + 1) === '(') {
          const j = findClose(s, i + 2, ')');
          segs.push(newSub(c === '<' ? '<(' : '>(', j < 0 ? s.slice(i + 2) : s.slice(i + 2, j)));
          i = j < 0 ? n : j + 1;
          continue;
        }
        break;
      }
      if (c === '(') {
        if (i > start && assignPrefixLen(s.slice(start, i)) === i - start) {
          // array assignment NAME=( … ) is one word
          const j = findClose(s, i + 1, ')');
          if (j < 0) {
            pushLit(segs, s.slice(i));
            i = n;
          } else {
            segs.push({ k: 'raw', s: s.slice(i, j + 1), scan: s.slice(i + 1, j) });
            i = j + 1;
          }
          continue;
        }
        break;
      }
      if (c === ' ' || c === '\t' || c === '\n' || c === ';' || c === '&' || c === '|' || c === ')') break;
      if (c === '\\') {
        const nx = s.charAt(i + 1);
        if (nx === '\n') i += 2;
        else if (nx === '') {
          pushLit(segs, '\\');
          i++;
        } else {
          pushLit(segs, nx);
          quoted = true;
          i += 2;
        }
        continue;
      }
      if (c === "'") {
        quoted = true;
        const j = s.indexOf("'", i + 1);
        if (j < 0) {
          pushLit(segs, s.slice(i + 1));
          i = n;
        } else {
          pushLit(segs, s.slice(i + 1, j));
          i = j + 1;
        }
        continue;
      }
      if (c === '"') {
        quoted = true;
        i = scanDouble(s, i + 1, segs, true);
        continue;
      }
      if (c === '`') {
        i = scanBacktick(s, i, segs, false);
        continue;
      }
      if (c === '$') {
        const nx = s.charAt(i + 1);
        if (nx === "'" || nx === '"') quoted = true;
        i = scanDollar(s, i, segs, false);
        continue;
      }
      let j = i + 1;
      while (j < n && isWordChar(s.charAt(j))) j++;
      pushLit(segs, s.slice(i, j));
      i = j;
    }
    if (i === start) {
      // never stall on an unexpected character
      pushLit(segs, s.charAt(i));
      i++;
    }
    this.i = i;
    return { t: 'w', raw: s.slice(start, i), segs, quoted, start, end: i };
  }
}

function redirOpAt(s: string, i: number): string {
  for (const op of REDIR_OPS) if (s.startsWith(op, i)) return op;
  return s.charAt(i);
}

function stripLeadingTabs(line: string): string {
  let j = 0;
  while (line.charAt(j) === '\t') j++;
  return line.slice(j);
}

function wordValue(w: Word): string {
  let out = '';
  for (const g of w.segs) out += g.k === 'lit' ? g.s : g.k === 'sub' ? g.open + g.body + ')' : g.s;
  return out;
}

function litWord(s: string): Word {
  return { t: 'w', raw: s, segs: s === '' ? [] : [{ k: 'lit', s }], quoted: true, start: 0, end: 0 };
}

/** the unquoted text of a plain, unquoted word (a candidate reserved word), else null */
function keyword(w: Word): string | null {
  if (w.quoted || w.segs.length !== 1) return null;
  const g = w.segs[0];
  return g !== undefined && g.k === 'lit' ? g.s : null;
}

// ---------------------------------------------------------------------------------------------------------------------
// Parsing into simple commands

interface Cmd {
  /** 'attach': redirections after `}` / `done` / `)` …, which apply to the group: attached to the previous component */
  e: 'cmd' | 'attach';
  words: Word[];
  redirs: Redir[];
  raw: string;
}

type Ev =
  | Cmd
  | { e: 'sep'; op: string }
  /** words expanded by the shell that belong to no command (for-lists, case subjects/patterns, (( … ))) */
  | { e: 'orphan'; word: Word | null; scan: string | null };

const SKIP_KEYWORDS = new Set(['{', '!', 'if', 'then', 'else', 'elif', 'do', 'while', 'until']);
const CLOSE_KEYWORDS = new Set(['}', 'fi', 'done', 'esac']);
/** first words that must be quoted in canonical text so that re-parsing does not treat them as syntax */
const RESERVED = new Set([
  '{',
  '}',
  '!',
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  'case',
  'esac',
  'for',
  'select',
  'function',
]);

const M_CMD = 0;
const M_PATTERN = 1;
const M_FORHDR = 2;
const M_CASEHDR = 3;

/** shared empty list; most commands have no redirection */
const NO_REDIRS: Redir[] = [];

/**
 * Feeds the events of `src` to `out` in order. A command with a heredoc is held back (with everything after it)
 * until the newline after which its body has been read.
 */
function parse(lex: Lexer, src: string, out: (ev: Ev) => void): void {
  let held: Ev[] | null = null;
  const emit = (ev: Ev): void => {
    if (held !== null) held.push(ev);
    else out(ev);
  };
  const release = (): void => {
    if (held === null) return;
    const evs = held;
    held = null;
    for (const ev of evs) out(ev);
  };
  let words: Word[] = [];
  let redirs = NO_REDIRS;
  let start = -1;
  let end = -1;
  let afterCloser = false;
  let pendingCloser = false;
  let mode = M_CMD;
  let caseDepth = 0;
  let patFresh = true;
  let caseWords = 0;

  const flush = (): void => {
    if (words.length > 0 || redirs.length > 0) {
      if (held === null && redirs.some((r) => r.body === null && (r.op === '<<' || r.op === '<<-'))) held = [];
      emit({ e: words.length === 0 && afterCloser ? 'attach' : 'cmd', words, redirs, raw: src.slice(start, end).trim() });
    }
    words = [];
    redirs = NO_REDIRS;
    start = -1;
    end = -1;
    afterCloser = false;
  };
  const extend = (s: number, e: number): void => {
    if (start < 0) start = s;
    if (e > end) end = e;
  };
  const orphanTok = (tk: Tok): void => {
    if (tk.t === 'w') emit({ e: 'orphan', word: tk, scan: null });
    else if (tk.t === 'arith') emit({ e: 'orphan', word: null, scan: tk.body });
    else if (tk.t === 'r' && tk.r.target !== null) emit({ e: 'orphan', word: tk.r.target, scan: null });
  };

  for (let tk = lex.next(); tk !== undefined; tk = lex.next()) {
    if (tk.t === 'op' && tk.op === '\n' && (mode === M_PATTERN || mode === M_CASEHDR)) release();
    if (mode === M_PATTERN) {
      if (tk.t === 'op') {
        if (tk.op === ')') mode = M_CMD;
      } else if (tk.t === 'w' && patFresh && keyword(tk) === 'esac') {
        caseDepth--;
        mode = M_CMD;
        pendingCloser = true;
      } else {
        patFresh = false;
        orphanTok(tk);
      }
      continue;
    }
    if (mode === M_FORHDR) {
      if (tk.t === 'op' || (tk.t === 'w' && keyword(tk) === 'do')) mode = M_CMD;
      else {
        orphanTok(tk);
        continue;
      }
    }
    if (mode === M_CASEHDR) {
      if (tk.t === 'op') {
        if (tk.op === '\n') continue;
        mode = M_CMD;
      } else {
        if (tk.t === 'w' && caseWords > 0) {
          if (keyword(tk) !== 'in') orphanTok(tk);
          mode = M_PATTERN;
          patFresh = true;
          caseDepth++;
        } else {
          orphanTok(tk);
          caseWords++;
        }
        continue;
      }
    }
    if (tk.t === 'op') {
      flush();
      if (tk.op === '\n') {
        // heredoc bodies are read by the time the newline token is handed out
        emit({ e: 'sep', op: tk.op });
        release();
        pendingCloser = false;
        continue;
      }
      if (tk.op === '(') {
        pendingCloser = false;
        continue;
      }
      if (tk.op === ')') {
        pendingCloser = true;
        continue;
      }
      pendingCloser = false;
      emit({ e: 'sep', op: tk.op });
      if ((tk.op === ';;' || tk.op === ';&' || tk.op === ';;&') && caseDepth > 0) {
        mode = M_PATTERN;
        patFresh = true;
      }
      continue;
    }
    if (tk.t === 'arith') {
      flush();
      pendingCloser = false;
      orphanTok(tk);
      continue;
    }
    if (tk.t === 'r') {
      if (start < 0) afterCloser = pendingCloser;
      pendingCloser = false;
      if (redirs === NO_REDIRS) redirs = [];
      redirs.push(tk.r);
      extend(tk.r.start, tk.r.end);
      continue;
    }
    const w = tk;
    if (words.length === 0) {
      const kw = keyword(w);
      if (kw !== null) {
        if (SKIP_KEYWORDS.has(kw)) {
          pendingCloser = false;
          continue;
        }
        if (CLOSE_KEYWORDS.has(kw)) {
          if (kw === 'esac' && caseDepth > 0) caseDepth--;
          pendingCloser = true;
          continue;
        }
        if (kw === 'case') {
          mode = M_CASEHDR;
          caseWords = 0;
          continue;
        }
        if (kw === 'for' || kw === 'select') {
          mode = M_FORHDR;
          continue;
        }
        if (kw === 'function') {
          if (lex.peek(0)?.t === 'w') lex.next();
          if (isEmptyParens(lex)) {
            lex.next();
            lex.next();
          }
          continue;
        }
      }
      if (isEmptyParens(lex)) {
        // function definition `name ( )`: the body follows as ordinary commands
        lex.next();
        lex.next();
        continue;
      }
    }
    pendingCloser = false;
    words.push(w);
    extend(w.start, w.end);
  }
  flush();
  release();
}

function isEmptyParens(lex: Lexer): boolean {
  const a = lex.peek(0);
  const b = lex.peek(1);
  return a !== undefined && a.t === 'op' && a.op === '(' && b !== undefined && b.t === 'op' && b.op === ')';
}

// ---------------------------------------------------------------------------------------------------------------------
// Rendering

function needsQuote(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isShellMeta(s.charAt(i))) return true;
  return false;
}

function forceQuote(s: string): string {
  return "'" + s.split("'").join("'\\''") + "'";
}

function quoteIfNeeded(s: string): string {
  return needsQuote(s) ? forceQuote(s) : s;
}

function quoteValue(s: string): string {
  return s === '' ? "''" : quoteIfNeeded(s);
}

type Mode = 'cmd' | 'arg' | 'assign';

/**
 * Canonical spelling of a word: literal text unquoted when safe and single-quoted otherwise, substitutions as
 * `$( canonical body )`, parameters verbatim. Chosen so that lexing the result gives back the same segments.
 */
function renderWord(w: Word, mode: Mode, unpriv: boolean): string {
  let segs = w.segs;
  const first = segs[0];
  if (mode === 'cmd' && first !== undefined && first.k === 'lit' && assignPrefixLen(first.s) > 0) {
    // A command word that merely looks like NAME=…: `( … )` after it is literal text, not an array.
    segs = [];
    for (const g of w.segs) {
      if (g.k === 'raw' && g.s.charAt(0) === '(') pushLit(segs, g.s);
      else if (g.k === 'lit') pushLit(segs, g.s);
      else segs.push(g);
    }
  }
  let out = '';
  for (let idx = 0; idx < segs.length; idx++) {
    const g = segs[idx]!;
    if (g.k === 'lit') {
      let s = g.s;
      if (idx === 0 && mode === 'assign') {
        const m = assignPrefixLen(s);
        out += s.slice(0, m);
        s = s.slice(m);
      } else if (idx === 0 && mode === 'cmd' && (assignPrefixLen(s) > 0 || (segs.length === 1 && RESERVED.has(s)))) {
        // otherwise re-parsing would read an assignment or a reserved word
        out += forceQuote(s);
        continue;
      }
      out += quoteIfNeeded(s);
    } else if (g.k === 'sub') out += g.open + (unpriv ? g.unpriv : g.rel) + ')';
    else out += g.s;
  }
  return out === '' ? "''" : out;
}

function renderRedir(r: Redir, unpriv: boolean): string {
  const op = r.fd + r.op;
  if (r.target === null) return op;
  const t = renderWord(r.target, 'arg', unpriv);
  if (r.op === '>&' || r.op === '<&') {
    const v = wordValue(r.target);
    let dup = v !== '';
    for (let i = 0; i < v.length; i++) if (!isDigit(v.charAt(i)) && !(v.charAt(i) === '-' && i === v.length - 1)) dup = false;
    if (dup) return op + t;
  }
  return op + ' ' + t;
}

function renderRedirs(rs: Redir[], unpriv: boolean): string {
  return rs.map((r) => renderRedir(r, unpriv)).join(' ');
}

const SEP_TEXT: Record<string, string> = { '&&': ' && ', '||': ' || ', ';': '; ', '|': ' | ', '&': ' & ' };

function canonSep(op: string): string {
  switch (op) {
    case '&&':
    case '||':
    case '|':
    case '&':
      return op;
    case '|&':
      return '|';
    default:
      return ';';
  }
}

function renderItems(items: Item[], unpriv: boolean): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    out += unpriv ? it.unpriv : it.rel;
    if (i < items.length - 1) out += SEP_TEXT[it.sep ?? ';'] ?? '; ';
  }
  return out;
}

/** a privilege prefix followed by a command; `--` keeps a command starting with `-` from reading as an option */
function joinPriv(prefix: string, dash: boolean, rest: string): string {
  if (prefix === '') return rest;
  if (rest === '') return prefix;
  return prefix + (dash ? ' -- ' : ' ') + rest;
}

function join(...parts: string[]): string {
  return joinAll(parts);
}

/** words joined by single spaces, empty ones skipped (an array, not spread arguments: lists can be huge) */
function joinAll(parts: readonly string[]): string {
  let out = '';
  for (const p of parts) {
    if (p === '') continue;
    out = out === '' ? p : out + ' ' + p;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Analysis

interface Ctx {
  depth: number;
  /** rendered sudo/doas prefix inherited from enclosing wrappers */
  prefix: string;
  /** the prefix already ends with an option terminator (`su … --`) */
  prefixDD: boolean;
  privileged: boolean;
}

interface State {
  /** characters of privilege prefix / wrapper redirections we may still copy into components before failing closed */
  budget: number;
  /** characters of wrapper scripts we may still analyse again before failing closed */
  rescan: number;
  comps: ShellComponent[];
  /** stored components not replaced by their script */
  live: number;
  /** placeholders of wrappers that were replaced by their script */
  dead: Set<ShellComponent>;
  /** forms already present per component, so deduplication stays O(1) however many are added */
  formSets: Map<ShellComponent, Set<string>>;
  fail: string | null;
}

interface Item {
  /** canonical text relative to the script being rendered (without the inherited prefix) */
  rel: string;
  unpriv: string;
  sep: string | null;
  comp: ShellComponent | null;
  /** the text starts with a command word beginning with `-`, which a sudo prefix would read as an option */
  dash: boolean;
  /** no command word (bare assignments, lone redirections): a privilege prefix is not put in front of it */
  bare: boolean;
}

function fail(st: State, reason: string): void {
  if (st.fail === null) st.fail = reason;
}

/** Charge a wrapper's script against the re-analysis allowance; false (and failed closed) when it runs out. */
function rescan(st: State, script: string): boolean {
  st.rescan -= script.length;
  if (st.rescan >= 0) return true;
  fail(st, RESCAN_REASON);
  return false;
}

function spend(st: State, chars: number): boolean {
  st.budget -= chars;
  if (st.budget >= 0) return true;
  fail(st, BUDGET_REASON);
  return false;
}

function analyzeScript(src: string, ctx: Ctx, st: State): Item[] {
  const items: Item[] = [];
  parse(new Lexer(src), src, (ev) => {
    if (ev.e === 'sep') {
      const last = items[items.length - 1];
      if (last !== undefined && last.sep === null) last.sep = canonSep(ev.op);
      return;
    }
    if (ev.e === 'orphan') {
      if (ev.word !== null) analyseWordSubs(ev.word, ctx, st);
      if (ev.scan !== null) analyseScan(ev.scan, ctx, st, 0);
      return;
    }
    const last = items[items.length - 1];
    if (ev.e === 'attach' && last !== undefined && last.comp !== null) {
      analyseRedirSubs(ev.redirs, null, ctx, st);
      const rt = renderRedirs(ev.redirs, false);
      addForm(st, last.comp, last.comp.text + ' ' + rt);
      return;
    }
    for (const it of analyseCmd(ev, ctx, st)) items.push(it);
  });
  const tail = items[items.length - 1];
  if (tail !== undefined) tail.sep = null;
  return items;
}

function analyseSub(g: Seg & { k: 'sub' }, ctx: Ctx, st: State): void {
  if (ctx.depth + 1 > MAX_DEPTH) {
    fail(st, DEPTH_REASON);
    return;
  }
  const items = analyzeScript(g.body, { ...ctx, depth: ctx.depth + 1 }, st);
  g.rel = renderItems(items, false);
  g.unpriv = renderItems(items, true);
}

/** substitutions inside text the shell expands like a double-quoted string (heredocs, ${…}, $((…)), arrays) */
function analyseScan(text: string, ctx: Ctx, st: State, level: number): void {
  const segs: Seg[] = [];
  scanDouble(text, 0, segs, false);
  for (const g of segs) {
    if (g.k === 'sub') analyseSub(g, ctx, st);
    else if (g.k === 'raw' && g.scan !== null) {
      if (level >= MAX_DEPTH) fail(st, DEPTH_REASON);
      else analyseScan(g.scan, ctx, st, level + 1);
    }
  }
}

function analyseWordSubs(w: Word, ctx: Ctx, st: State): void {
  for (const g of w.segs) {
    if (g.k === 'sub') analyseSub(g, ctx, st);
    else if (g.k === 'raw' && g.scan !== null) analyseScan(g.scan, ctx, st, 1);
  }
}

function analyseRedirSubs(rs: Redir[], skip: Redir | null, ctx: Ctx, st: State): void {
  for (const r of rs) {
    if (r === skip) continue;
    if (r.target !== null) analyseWordSubs(r.target, ctx, st);
    if (r.body !== null && !r.quotedDelim) analyseScan(r.body, ctx, st, 0);
  }
}

function addForm(st: State, c: ShellComponent, f: string): void {
  if (f === '') return;
  if (c.forms.length < 16) {
    if (!c.forms.includes(f)) c.forms.push(f);
    return;
  }
  let set = st.formSets.get(c);
  if (set === undefined) {
    set = new Set(c.forms);
    st.formSets.set(c, set);
  }
  if (set.has(f)) return;
  set.add(f);
  c.forms.push(f);
}

function dropComp(st: State, c: ShellComponent, stored: boolean): void {
  if (!stored) return;
  st.dead.add(c);
  st.live--;
}

const renderPlain: Renderer = (w, mode) => renderWord(w, mode, false);
const renderUnpriv: Renderer = (w, mode) => renderWord(w, mode, true);
const renderValue: Renderer = (w) => wordValue(w);

/** adds `v` with and without the privilege prefix `p`, and each with the redirections `rt` */
function addVariant(st: State, c: ShellComponent, p: string, pDD: boolean, v: string, rt: string): void {
  const full = joinPriv(p, v.startsWith('-') && !pDD, v);
  addForm(st, c, full);
  addForm(st, c, v);
  if (rt !== '') {
    addForm(st, c, full + ' ' + rt);
    addForm(st, c, v + ' ' + rt);
  }
}

function basename(v: string): string {
  const k = v.lastIndexOf('/');
  if (k < 0) return v;
  const b = v.slice(k + 1);
  return b === '' ? v : b;
}

/** the word with a leading directory removed from its final literal part (`/bin/rm`, `$HOME/bin/rm` → `rm`) */
function baseWord(w: Word): Word {
  const first = w.segs[0];
  if (first !== undefined && first.k === 'lit' && assignPrefixLen(first.s) > 0) return w;
  const last = w.segs[w.segs.length - 1];
  if (last === undefined || last.k !== 'lit') return w;
  const k = last.s.lastIndexOf('/');
  if (k < 0 || k === last.s.length - 1) return w;
  const b = last.s.slice(k + 1);
  // `/x/A=1` is a command, but `A=1` would read as an assignment (to sudo/env even when quoted)
  return assignPrefixLen(b) > 0 ? w : litWord(b);
}

function execName(w: Word): string {
  return wordValue(baseWord(w));
}

// --- transparent launchers

interface OptScan {
  next: number;
  shorts: string;
  longs: string[];
  /** index of the `--` that ended the options, -1 when none */
  dd: number;
}

/** getopt-style scan of options starting at i: `arg` are short options taking a value, `longArg` long ones */
function scanOpts(vals: readonly string[], i: number, arg: string, longArg: readonly string[]): OptScan {
  let shorts = '';
  const longs: string[] = [];
  while (i < vals.length) {
    const w = vals[i]!;
    if (w === '--') return { next: i + 1, shorts, longs, dd: i };
    if (w.length < 2 || w.charAt(0) !== '-') break;
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      longs.push(name);
      i += eq < 0 && longArg.includes(name) ? 2 : 1;
      continue;
    }
    let takes = false;
    for (let j = 1; j < w.length; j++) {
      const ch = w.charAt(j);
      shorts += ch;
      if (arg.includes(ch)) {
        takes = j === w.length - 1;
        break;
      }
    }
    i += takes ? 2 : 1;
  }
  return { next: i, shorts, longs, dd: -1 };
}

type Skipper = (vals: readonly string[], i: number) => number;

const opts =
  (arg: string, longArg: readonly string[] = []): Skipper =>
  (vals, i) =>
    scanOpts(vals, i + 1, arg, longArg).next;

const LAUNCHERS = new Map<string, Skipper>([
  ['nohup', opts('')],
  ['nice', opts('n', ['--adjustment'])],
  ['setsid', opts('')],
  ['stdbuf', opts('ioe', ['--input', '--output', '--error'])],
  ['time', opts('of', ['--output', '--format'])],
  [
    'xargs',
    opts('aEdILnPs', [
      '--arg-file',
      '--delimiter',
      '--max-args',
      '--max-procs',
      '--max-chars',
      '--process-slot-var',
    ]),
  ],
  ['unbuffer', opts('')],
  ['chronic', opts('')],
  ['exec', opts('a')],
  ['builtin', (_v, i) => i + 1],
  ['nocorrect', (_v, i) => i + 1],
  ['noglob', (_v, i) => i + 1],
  ['busybox', (v, i) => ((v[i + 1] ?? '-').startsWith('-') ? -1 : i + 1)],
  [
    'command',
    (v, i) => {
      const o = scanOpts(v, i + 1, '', []);
      // command -v / -V only look the name up
      return o.shorts.includes('v') || o.shorts.includes('V') ? -1 : o.next;
    },
  ],
  [
    'timeout',
    (v, i) => {
      const o = scanOpts(v, i + 1, 'sk', ['--signal', '--kill-after']);
      return o.next < v.length ? o.next + 1 : -1; // the duration
    },
  ],
  [
    'ionice',
    (v, i) => {
      const o = scanOpts(v, i + 1, 'cnpPu', ['--class', '--classdata', '--pid', '--pgid', '--uid']);
      const targetsProcess = /[pPu]/.test(o.shorts) || o.longs.some((l) => l === '--pid' || l === '--pgid' || l === '--uid');
      return targetsProcess ? -1 : o.next;
    },
  ],
  [
    'chrt',
    (v, i) => {
      const o = scanOpts(v, i + 1, 'TPD', ['--sched-runtime', '--sched-period', '--sched-deadline']);
      if (o.shorts.includes('p') || o.shorts.includes('m') || o.longs.includes('--pid')) return -1;
      const prio = v[o.next] ?? '';
      return prio !== '' && [...prio].every(isDigit) ? o.next + 1 : o.next;
    },
  ],
]);

const SUDO_LONG_ARGS = [
  '--user',
  '--group',
  '--chdir',
  '--chroot',
  '--close-from',
  '--host',
  '--prompt',
  '--role',
  '--type',
  '--command-timeout',
  '--other-user',
];

/** arg: short options taking a value; modes: options meaning "no command is run" (-l, -e, …) */
const PRIV_SPECS = new Map<string, { arg: string; modes: string; longArg: readonly string[] }>([
  ['sudo', { arg: 'CDgpRrTtUu', modes: 'elvKV', longArg: SUDO_LONG_ARGS }],
  ['doas', { arg: 'u', modes: 'LC', longArg: [] }],
  ['pkexec', { arg: '', modes: '', longArg: ['--user'] }],
]);

const SUDO_MODE_LONGS = new Set(['--edit', '--list', '--validate', '--remove-timestamp', '--version', '--help']);

function privEnd(
  name: string,
  vals: readonly string[],
  i: number,
  assigns: string[],
): { next: number; keepEnd: number; dd: number } | null {
  const spec = PRIV_SPECS.get(name);
  if (spec === undefined) return null;
  const o = scanOpts(vals, i + 1, spec.arg, spec.longArg);
  for (const ch of spec.modes) if (o.shorts.includes(ch)) return null;
  if (o.longs.some((l) => SUDO_MODE_LONGS.has(l))) return null;
  let j = o.next;
  while (j < vals.length) {
    const nm = assignName(vals[j]!);
    if (nm === null) break;
    assigns.push(nm);
    j++;
  }
  return j < vals.length ? { next: j, keepEnd: o.next, dd: o.dd } : null;
}

function splitWords(s: string): Word[] {
  const out: Word[] = [];
  for (const t of new Lexer(s).all()) if (t.t === 'w') out.push(litWord(wordValue(t)));
  return out;
}

interface Unwrapped {
  cw: Word[];
  start: number;
  privWords: Word[];
  localPriv: boolean;
}

function isLauncher(name: string): boolean {
  return PRIV_SPECS.has(name) || name === 'env' || LAUNCHERS.has(name);
}

function unwrap(cw0: Word[], assigns: string[], ctx: Ctx, st: State): Unwrapped {
  const first = cw0[0];
  if (!ctx.privileged && (first === undefined || !isLauncher(execName(first)))) {
    return { cw: cw0, start: 0, privWords: NO_WORDS, localPriv: false };
  }
  let cw = cw0;
  let vals = cw.map(wordValue);
  const privWords: Word[] = [];
  let localPriv = false;
  let splits = 0;
  let i = 0;
  while (i < cw.length) {
    if (ctx.privileged || localPriv) {
      // Under sudo, NAME=value words (even quoted ones) are environment settings for sudo. The canonical text puts
      // the sudo prefix right before the command, so treat them the same way here or re-analysis would differ.
      let j = i;
      while (j < cw.length && assignName(vals[j]!) !== null) j++;
      if (j > i && j < cw.length) {
        for (let q = i; q < j; q++) assigns.push(assignName(vals[q]!)!);
        i = j;
        continue;
      }
    }
    const name = execName(cw[i]!);
    let next: number;
    if (PRIV_SPECS.has(name)) {
      const r = privEnd(name, vals, i, assigns);
      if (r === null) break;
      privWords.push(baseWord(cw[i]!));
      // an option-ending `--` is re-inserted only where needed (see joinPriv), so both spellings agree
      for (let q = i + 1; q < r.keepEnd; q++) if (q !== r.dd) privWords.push(cw[q]!);
      localPriv = true;
      next = r.next;
    } else if (name === 'env') {
      let j = i + 1;
      while (j < cw.length) {
        const v = vals[j]!;
        if (v === '--') {
          j++;
          break;
        }
        if (v === '-') {
          j++;
          continue;
        }
        if (v.length < 2 || v.charAt(0) !== '-') break;
        let split: string | null = null;
        let used = 1;
        if (v === '-S' || v === '--split-string') {
          split = vals[j + 1] ?? '';
          used = 2;
        } else if (v.startsWith('--split-string=')) split = v.slice(15);
        else if (v.startsWith('-S')) split = v.slice(2);
        else if (v.startsWith('--')) {
          j += v === '--unset' || v === '--chdir' ? 2 : 1;
          continue;
        } else {
          const o = scanOpts([v], 0, 'uCP', []);
          j += o.next > 1 ? 2 : 1;
          continue;
        }
        // env -S splits its argument into words that are processed as if written in place
        if (++splits > MAX_ENV_SPLITS) {
          fail(st, ENV_SPLIT_REASON);
          return { cw: cw.slice(0, i + 1), start: i, privWords, localPriv };
        }
        cw = [...cw.slice(0, j), ...splitWords(split), ...cw.slice(j + used)];
        vals = cw.map(wordValue);
      }
      while (j < cw.length) {
        const nm = assignName(vals[j]!);
        if (nm === null) break;
        assigns.push(nm);
        j++;
      }
      next = j;
    } else {
      const f = LAUNCHERS.get(name);
      if (f === undefined) break;
      next = f(vals, i);
    }
    if (next < 0 || next >= cw.length) break;
    i = next;
  }
  return { cw, start: i, privWords, localPriv };
}

// --- wrappers whose argument is itself a script

const SHELLS = new Set(['bash', 'sh', 'zsh', 'dash', 'ksh', 'ash', 'fish', 'mksh', 'yash', 'posh', 'csh', 'tcsh', 'rbash']);

interface Wrapper {
  script: string;
  scriptWords: Set<Word>;
  scriptRedir: Redir | null;
  /**
   * eval / su -c: the command stays a component spelled `HEAD 'canonical script'` and the script's components are
   * appended after it, as for a substitution (bash -c and friends are replaced by their script instead)
   */
  keep: { head: Word[]; su: boolean } | null;
}

const SU_ARG_SHORT = 'sgGw';
const SU_ARG_LONG = new Set(['--shell', '--group', '--supp-group', '--whitelist-environment']);

function detectSu(core: Word[]): Wrapper | null {
  const vals = core.map(wordValue);
  let user: Word | null = null;
  let scriptIdx = -1;
  let inline: string | null = null;
  for (let j = 1; j < vals.length; j++) {
    const v = vals[j]!;
    if (v === '--') break;
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      const name = eq < 0 ? v : v.slice(0, eq);
      if (name === '--command' || name === '--session-command') {
        if (eq >= 0) {
          inline = v.slice(eq + 1);
          scriptIdx = j;
        } else scriptIdx = ++j;
      } else if (eq < 0 && SU_ARG_LONG.has(name)) j++;
      continue;
    }
    if (v.length > 1 && v.charAt(0) === '-') {
      for (let q = 1; q < v.length; q++) {
        const ch = v.charAt(q);
        if (ch === 'c') {
          if (q < v.length - 1) {
            inline = v.slice(q + 1);
            scriptIdx = j;
          } else scriptIdx = ++j;
          break;
        }
        if (SU_ARG_SHORT.includes(ch)) {
          if (q === v.length - 1) j++;
          break;
        }
      }
      continue;
    }
    if (user === null && v !== '-') user = core[j]!;
  }
  const w = core[scriptIdx];
  if (scriptIdx < 0 || w === undefined) return null;
  return {
    script: inline ?? wordValue(w),
    scriptWords: new Set([w]),
    scriptRedir: null,
    keep: { head: user === null ? [baseWord(core[0]!)] : [baseWord(core[0]!), user], su: true },
  };
}

function detectWrapper(core: Word[], exe: string, redirs: Redir[]): Wrapper | null {
  if (SHELLS.has(exe)) {
    const vals = core.map(wordValue);
    const fish = exe === 'fish';
    let j = 1;
    let cmd = false;
    let stdin = false;
    while (j < vals.length) {
      const v = vals[j]!;
      if (v === '--' || v === '-') {
        j++;
        break;
      }
      if (v.startsWith('--')) {
        if (v === '--command') {
          cmd = true;
          j++;
          break;
        }
        if (v.startsWith('--command=')) return { script: v.slice(10), scriptWords: new Set([core[j]!]), scriptRedir: null, keep: null };
        j += v === '--rcfile' || v === '--init-file' || v === '--init-command' ? 2 : 1;
        continue;
      }
      const c0 = v.charAt(0);
      if ((c0 === '-' || c0 === '+') && v.length > 1) {
        let takes = 0;
        for (let q = 1; q < v.length; q++) {
          const ch = v.charAt(q);
          if (ch === 'c' && c0 === '-') cmd = true;
          else if (ch === 's' && c0 === '-') stdin = true;
          else if (ch === 'o' || ch === 'O' || (fish && ch === 'C')) takes++;
        }
        j += 1 + takes;
        continue;
      }
      break;
    }
    if (cmd) {
      const w = core[j];
      return w === undefined ? null : { script: wordValue(w), scriptWords: new Set([w]), scriptRedir: null, keep: null };
    }
    if (stdin || j >= vals.length) {
      for (let q = redirs.length - 1; q >= 0; q--) {
        const r = redirs[q]!;
        if (r.fd !== '' && r.fd !== '0') continue;
        if (r.op === '<<<' && r.target !== null)
          return { script: wordValue(r.target), scriptWords: new Set(), scriptRedir: r, keep: null };
        if ((r.op === '<<' || r.op === '<<-') && r.body !== null)
          return { script: r.body, scriptWords: new Set(), scriptRedir: r, keep: null };
      }
    }
    return null;
  }
  if (exe === 'eval' && core.length > 1) {
    const args = core.slice(1);
    return {
      script: args.map(wordValue).join(' '),
      scriptWords: new Set(args),
      scriptRedir: null,
      keep: { head: [baseWord(core[0]!)], su: false },
    };
  }
  if (exe === 'su') return detectSu(core);
  return null;
}

// --- canonical forms

type Renderer = (w: Word, mode: Mode) => string;

interface Canon {
  text: string;
  extras: string[];
}

function isLitWord(w: Word): boolean {
  for (const g of w.segs) if (g.k !== 'lit') return false;
  return true;
}

/** `head` is the executable word already reduced to its basename */
function canonicalCore(head: Word, args: Word[], R: Renderer, withExtras: boolean): Canon {
  const exe = wordValue(head);
  const extras: string[] = [];
  if (exe === 'rm') {
    let r = false;
    let f = false;
    let endOpts = false;
    const operands: Word[] = [];
    for (const w of args) {
      const v = wordValue(w);
      if (endOpts || v.length < 2 || v.charAt(0) !== '-' || !isLitWord(w)) {
        operands.push(w);
      } else if (v === '--') {
        endOpts = true;
      } else if (v.startsWith('--')) {
        const eq = v.indexOf('=');
        const name = v.slice(2, eq < 0 ? v.length : eq);
        // GNU getopt accepts unambiguous prefixes (`--rec`, `--forc`)
        if (name !== '' && 'recursive'.startsWith(name)) r = true;
        else if (name !== '' && 'force'.startsWith(name)) f = true;
      } else {
        for (let q = 1; q < v.length; q++) {
          const ch = v.charAt(q);
          if (ch === 'r' || ch === 'R') r = true;
          else if (ch === 'f') f = true;
        }
      }
    }
    const flags = r && f ? '-rf' : r ? '-r' : f ? '-f' : '';
    // an operand that looks like an option needs `--`, or re-analysis would read it as flags
    const dashDash = operands.some((w) => wordValue(w).startsWith('-')) ? '--' : '';
    const text = joinAll(['rm', flags, dashDash].concat(operands.map((w) => R(w, 'arg'))));
    if (withExtras) {
      extras.push(joinAll(['rm'].concat(args.map((w) => R(w, 'arg')))));
      const normalisedPaths = operands.map((w) =>
        isLitWord(w) ? quoteValue(normalisePath(wordValue(w))) : R(w, 'arg'),
      );
      extras.push(joinAll(['rm', flags, dashDash].concat(normalisedPaths)));
    }
    return { text, extras };
  }
  let text = R(head, 'cmd');
  for (const w of args) text += ' ' + R(w, 'arg');
  if (withExtras && exe === 'find') for (const t of findDeleteTargets(args)) extras.push(join('rm', '-rf', R(t, 'arg')));
  return { text, extras };
}

function normalisePath(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p.charAt(i);
    if (c === '/' && out.endsWith('/')) continue;
    out += c;
  }
  for (;;) {
    if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
    else if (out.length > 2 && out.endsWith('/.')) out = out.slice(0, -2);
    else if (out === '/.') out = '/';
    else return out;
  }
}

const FIND_EXEC = new Set(['-exec', '-execdir', '-ok', '-okdir']);

/** start paths of a find that deletes what it finds (-delete, -exec rm …) */
const NAME_TESTS = new Set(['-name', '-iname', '-path', '-ipath', '-wholename', '-iwholename', '-regex', '-iregex', '-lname', '-ilname']);

function findDeleteTargets(args: Word[]): Word[] {
  const vals = args.map(wordValue);
  let i = 0;
  while (i < vals.length) {
    const v = vals[i]!;
    if (v === '-H' || v === '-L' || v === '-P' || v.startsWith('-O')) i++;
    else if (v === '-D') i += 2;
    else break;
  }
  const starts: Word[] = [];
  while (i < vals.length) {
    const v = vals[i]!;
    if ((v.startsWith('-') && v.length > 1) || v === '(' || v === '!' || v === ')' || v === ',') break;
    starts.push(args[i]!);
    i++;
  }
  let deletes = false;
  // a name or path filter (other than one matching everything) limits what is deleted: `find . -name "*.pyc"
  // -delete` is a cleanup, not `rm -rf .`. Type, time and size tests do not: `find / -type f -delete` still wipes.
  let filtered = false;
  for (let j = i; j < vals.length; j++) {
    const v = vals[j]!;
    if (v === '-delete') deletes = true;
    else if (FIND_EXEC.has(v) && basename(vals[j + 1] ?? '') === 'rm') deletes = true;
    else if (NAME_TESTS.has(v) && !/^\*+$/.test(vals[j + 1] ?? '*')) filtered = true;
  }
  if (!deletes || filtered) return [];
  return starts.length > 0 ? starts : [litWord('.')];
}

const DECLARERS = new Set(['export', 'declare', 'typeset', 'local', 'readonly']);

function hasSubs(words: Word[]): boolean {
  for (const w of words) for (const g of w.segs) if (g.k === 'sub') return true;
  return false;
}

/** rendering would differ from the bare values (quoting, escapes, substitutions) */
function differsFromValues(words: Word[]): boolean {
  for (const w of words) if (w.quoted || !isLitWord(w)) return true;
  return false;
}

const NO_WORDS: Word[] = [];

function analyseCmd(cmd: Cmd, ctx: Ctx, st: State): Item[] {
  const { words, redirs } = cmd;
  const assigns: string[] = [];
  let k = 0;
  while (k < words.length) {
    const nm = assignName(words[k]!.raw);
    if (nm === null) break;
    assigns.push(nm);
    k++;
  }
  const assignWords = k === 0 ? NO_WORDS : words.slice(0, k);
  const u = unwrap(k === 0 ? words : words.slice(k), assigns, ctx, st);
  let core = u.start === 0 ? u.cw : u.cw.slice(u.start);
  let bareWords = assignWords;
  if ((ctx.privileged || u.localPriv) && core.length > 0 && core.every((w) => assignName(wordValue(w)) !== null)) {
    // Only NAME=value words after sudo: sudo would take them all as environment settings (quoted or not), and
    // rendering them as plain assignments is the one spelling that reads back the same with or without a prefix.
    for (const w of core) assigns.push(assignName(wordValue(w))!);
    bareWords = [...assignWords, ...core];
    core = [];
  }
  const head = core.length > 0 ? baseWord(core[0]!) : null;
  const exe = head === null ? '' : wordValue(head);
  if (DECLARERS.has(exe)) {
    for (let q = 1; q < core.length; q++) {
      const nm = assignName(wordValue(core[q]!));
      if (nm !== null) assigns.push(nm);
    }
  }
  const wrapper = detectWrapper(core, exe, redirs);
  // a bare `sudo -s` / `sudo -i` is a root shell even though nothing was stripped
  const privileged = ctx.privileged || u.localPriv || PRIV_SPECS.has(exe) || exe === 'su';
  const comp: ShellComponent = { raw: cmd.raw, text: '', forms: [], privileged, executable: exe, assignments: assigns };
  // Past the limit the analysis is already failed closed; keep rendering (for `normalized`) but stop collecting.
  const store = st.live <= MAX_COMPONENTS;
  if (store) {
    st.comps.push(comp);
    st.live++;
    if (st.live > MAX_COMPONENTS) fail(st, COUNT_REASON);
  }

  // What the outer shell expands itself runs whether or not the command is a wrapper; the wrapper's script is
  // analysed below instead, so its substitutions are not counted twice.
  for (const w of words) if (wrapper === null || !wrapper.scriptWords.has(w)) analyseWordSubs(w, ctx, st);
  analyseRedirSubs(redirs, wrapper?.scriptRedir ?? null, ctx, st);

  const privText = u.privWords.length === 0 ? '' : u.privWords.map((w) => renderWord(w, 'arg', false)).join(' ');
  let truncated = false;
  let keepCanon: { text: string; unpriv: string } | null = null;
  if (wrapper !== null && wrapper.keep !== null) {
    const { head: keepHead, su } = wrapper.keep;
    const who = keepHead.map((w) => renderWord(w, 'arg', false)).join(' ');
    if (ctx.depth + 1 > MAX_DEPTH) fail(st, DEPTH_REASON);
    else {
      // su's components read `su [user] -- cmd`, the `--` keeping re-analysis from taking cmd's options as su's
      let prefix = su ? join(ctx.prefix, privText, who, '--') : join(ctx.prefix, privText);
      let prefixDD = su || (privText === '' && ctx.prefixDD);
      if (prefix.length > MAX_PRIV_PREFIX) {
        fail(st, BUDGET_REASON);
        prefix = ctx.prefix;
        prefixDD = ctx.prefixDD;
      }
      if (rescan(st, wrapper.script)) analyzeScript(wrapper.script, { depth: ctx.depth + 1, prefix, prefixDD, privileged: privileged || su }, st);
    }
    // The script is shown as written (one quoted word), not re-rendered: quoting canonical text at every level of
    // `eval eval …` would grow exponentially with depth, while this is linear and reads back unchanged.
    const shown = `${su ? `${who} -c` : who} ${quoteValue(wrapper.script)}`;
    keepCanon = { text: shown, unpriv: shown };
  } else if (wrapper !== null) {
    if (ctx.depth + 1 > MAX_DEPTH) {
      fail(st, DEPTH_REASON);
      truncated = true;
    } else {
      let prefix = join(ctx.prefix, privText);
      let prefixDD = privText === '' && ctx.prefixDD;
      if (prefix.length > MAX_PRIV_PREFIX) {
        fail(st, BUDGET_REASON);
        prefix = ctx.prefix;
        prefixDD = ctx.prefixDD;
      }
      const inner = rescan(st, wrapper.script) ? analyzeScript(wrapper.script, { depth: ctx.depth + 1, prefix, prefixDD, privileged }, st) : [];
      if (inner.length > 0) {
        dropComp(st, comp, store);
        const rt = renderRedirs(
          redirs.filter((r) => r !== wrapper.scriptRedir),
          false,
        );
        // the wrapper's redirections apply to every command of its script; bounded like prefixes, since
        // copying them into each component is quadratic in the worst case
        const withRedirs = rt !== '' && spend(st, (rt.length + 1) * inner.length);
        for (const it of inner) {
          if (it.comp === null) continue;
          for (const a of assigns) if (!it.comp.assignments.includes(a)) it.comp.assignments.push(a);
          if (withRedirs) addForm(st, it.comp, it.comp.text + ' ' + rt);
        }
        if (privText === '' || !spend(st, (privText.length + 1) * inner.length)) return inner;
        return inner.map((it) => (it.bare ? it : { ...it, rel: joinPriv(privText, it.dash, it.rel), dash: false }));
      }
    }
  }

  const redirText = redirs.length === 0 ? '' : renderRedirs(redirs, false);
  if (head === null) {
    let rel: string;
    let unpriv: string;
    if (bareWords.length > 0) {
      rel = bareWords.map((w) => renderWord(w, 'assign', false)).join(' ');
      unpriv = bareWords.map((w) => renderWord(w, 'assign', true)).join(' ');
    } else if (redirs.length > 0) {
      // `> file` on its own still truncates a file; keep the redirection as the text
      rel = redirText;
      unpriv = renderRedirs(redirs, true);
    } else {
      dropComp(st, comp, store);
      return [];
    }
    // `sudo A=1` or `sudo > f` would read back as a sudo invocation, so no prefix here
    comp.text = rel;
    comp.forms.push(rel);
    if (bareWords.length > 0 && redirText !== '') addForm(st, comp, rel + ' ' + redirText);
    return [{ rel, unpriv, sep: null, comp, dash: false, bare: true }];
  }

  // A wrapper that stays a component (empty script, or too deep) shows its script as one quoted literal, which
  // re-analyses to the same thing.
  let R0 = renderPlain;
  let R1 = renderUnpriv;
  if (wrapper !== null && wrapper.scriptWords.size > 0) {
    const scriptWords = wrapper.scriptWords;
    const scriptText = (w: Word): string => (truncated ? "''" : quoteValue(wordValue(w)));
    R0 = (w, mode) => (scriptWords.has(w) ? scriptText(w) : renderWord(w, mode, false));
    R1 = (w, mode) => (scriptWords.has(w) ? scriptText(w) : renderWord(w, mode, true));
  }

  const args = core.slice(1);
  const canon = keepCanon === null ? canonicalCore(head, args, R0, store) : { text: keepCanon.text, extras: [] };
  const dashHead = exe.startsWith('-');
  const rel = joinPriv(privText, dashHead, canon.text);
  const dash = privText === '' && dashHead;
  let unpriv = keepCanon === null ? canon.text : keepCanon.unpriv;
  if (keepCanon === null && hasSubs(core)) {
    unpriv = canonicalCore(head, args, R1, false).text;
  }
  comp.text = ctx.prefix !== '' && spend(st, ctx.prefix.length) ? joinPriv(ctx.prefix, dash && !ctx.prefixDD, rel) : rel;
  comp.forms.push(comp.text);
  if (!store) return [{ rel, unpriv, sep: null, comp, dash, bare: false }];

  const P = join(ctx.prefix, privText);
  const pDD = privText === '' && ctx.prefixDD;
  addVariant(st, comp, P, pDD, canon.text, redirText);
  for (const v of canon.extras) addVariant(st, comp, P, pDD, v, redirText);
  if (keepCanon === null && differsFromValues(core)) {
    // unquoted spelling, so that globs such as `rm -rf /my*` still meet `rm -rf '/my dir'`
    const plain = canonicalCore(head, args, renderValue, false).text;
    addForm(st, comp, plain);
    addForm(st, comp, joinPriv(P, plain.startsWith('-') && !pDD, plain));
  }
  if (u.start > 0 || assignWords.length > 0 || u.cw !== words) {
    // the command as written, launchers and assignments included
    const asWritten = joinAll(
      assignWords.map((w) => renderWord(w, 'assign', false)).concat(u.cw.map((w) => R0(w, 'arg'))),
    );
    addForm(st, comp, asWritten);
    if (redirText !== '') addForm(st, comp, asWritten + ' ' + redirText);
  }
  return [{ rel, unpriv, sep: null, comp, dash, bare: false }];
}
