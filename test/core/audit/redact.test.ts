import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {redact, redactAll, redactValue} from '../../../src/core/audit/redact.js'

describe('redact', () => {
  it.each([
    ['mysql -u root password=hunter2 db', 'mysql -u root password=[REDACTED] db'],
    ['curl -u x passwd=hunter2', 'curl -u x passwd=[REDACTED]'],
    ['export PWD=hunter2', 'export PWD=[REDACTED]'],
    ['DB_PASSWORD="correct horse" ./run', 'DB_PASSWORD="[REDACTED]" ./run'],
    ["app --opt secret='s3 cr3t'", "app --opt secret='[REDACTED]'"],
    ['SECRET_KEY=abc python manage.py runserver', 'SECRET_KEY=[REDACTED] python manage.py runserver'],
    ['GITHUB_TOKEN=abc123 gh pr list', 'GITHUB_TOKEN=[REDACTED] gh pr list'],
    ['curl "https://api.example.com/v1?api_key=abc123&page=2"', 'curl "https://api.example.com/v1?api_key=[REDACTED]&page=2"'],
    ['tool apikey: abc123', 'tool apikey: [REDACTED]'],
    ['aws configure set access_key=abc123', 'aws configure set access_key=[REDACTED]'],
    ['{"password":"a\\"b","user":"bob"}', '{"password":"[REDACTED]","user":"bob"}'],
    ['token: abc', 'token: [REDACTED]'],
    ['psql --password "my pass" -h db', 'psql --password "[REDACTED]" -h db'],
    ['deploy --token abc123 --env prod', 'deploy --token [REDACTED] --env prod'],
    ['curl -H "Authorization: Bearer abc.def" https://x.dev', 'curl -H "Authorization: Bearer [REDACTED]" https://x.dev'],
    ['curl -H "authorization: token abc" https://x.dev', 'curl -H "authorization: token [REDACTED]" https://x.dev'],
    ['http get x.dev "Authorization:Basic dXNlcjpwYXNz"', 'http get x.dev "Authorization:Basic [REDACTED]"'],
    ['echo Bearer abcdefgh12345678', 'echo Bearer [REDACTED]'],
    ['wget --header "Basic dXNlcjpwYXNzd29yZA==" x', 'wget --header "Basic [REDACTED]" x'],
    ['export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE', 'export AWS_ACCESS_KEY_ID=[REDACTED]'],
    ['echo ASIAIOSFODNN7EXAMPLE', 'echo [REDACTED]'],
    ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [REDACTED]'],
    ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY aws s3 ls', 'AWS_SECRET_ACCESS_KEY=[REDACTED] aws s3 ls'],
    ...['ghp', 'gho', 'ghu', 'ghs', 'ghr'].map((p) => [`gh auth login --with ${p}_abcdefghijklmnopqrstuvwxyz0123456789`, 'gh auth login --with [REDACTED]']),
    ['echo github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', 'echo [REDACTED]'],
    ...['a', 'b', 'p', 'r'].map((c) => [`slack xox${c}-1234567890-abcdefghij`, 'slack [REDACTED]']),
    ['OPENAI_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz012345 node app.js', 'OPENAI_KEY=[REDACTED] node app.js'],
    ['echo sk-ant-api03-abcdefghijklmnopqrstuvwxyz-0123456789', 'echo [REDACTED]'],
    [
      'printf "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA7\\n-----END RSA PRIVATE KEY-----" > id_rsa',
      'printf "-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----" > id_rsa',
    ],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n', '-----BEGIN OPENSSH PRIVATE KEY-----[REDACTED]-----END OPENSSH PRIVATE KEY-----\n'],
    ['cat <<EOF\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'cat <<EOF\n-----BEGIN PRIVATE KEY-----[REDACTED]'],
    ['curl -d jwt=x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'curl -d jwt=x [REDACTED]'],
    ['git push https://bob:s3cr3t@github.com/o/r.git main', 'git push https://bob:[REDACTED]@github.com/o/r.git main'],
    ['psql postgres://app:pa55w0rd@db:5432/app', 'psql postgres://app:[REDACTED]@db:5432/app'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected)
  })

  it.each([
    'git status',
    'npm test && git commit -m "fix the token refresh"',
    'docker run -v $PWD:/app -v $(pwd)/data:/data node:20',
    'kubectl create secret generic db --from-file=./creds',
    'kubectl apply -f prod.yaml',
    'rm -rf node_modules dist',
    'cat ~/.ssh/known_hosts',
    'git clone https://github.com/o/r.git',
    'git clone git@github.com:o/r.git',
    'python -c "print(max_tokens)"',
    'grep -rn "password" src/',
    'task-runner --mask-secrets build',
    'echo "Basic setup done"',
    'curl https://example.com/a?page=2',
  ])('leaves %s alone', (input) => {
    expect(redact(input)).toBe(input)
  })

  it('skips the rules only for text no rule could change (the quick check is a superset)', () => {
    const piece = fc.constantFrom('password=', 'PWD: ', 'token ', '--api-key ', 'Authorization: ', 'Bearer ', 'basic ', 'AKIA', 'ASIA', 'ghp_', 'github_pat_',
      'xoxb-', 'sk-', 'sk_live_', 'eyJ', '-----BEGIN RSA PRIVATE KEY-----', '//user:', '@host', 'abcdefghij0123456789', 'ABCDEFGHIJKLMNOP', '.', ' ', '=', ':', '"', "'", '-', '_', '/', 'x')
    fc.assert(fc.property(fc.array(piece, {maxLength: 12}).map((p) => p.join('')), (text) => {
      expect(redact(text)).toBe(redactAll(text))
    }), {numRuns: 20000})
    expect(redact('npm test -- --run src/app.test.ts')).toBe('npm test -- --run src/app.test.ts')
  })

  it('is idempotent', () => {
    const once = redact('password=a token=b Authorization: Bearer c https://u:p@h')
    expect(redact(once)).toBe(once)
  })

  it('runs in linear time on adversarial input', () => {
    const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
    const units = ['a', '-', '/', 'eyJ-', 'eyJa.', 'password=', 'password="', 'password ', '//a:', 'https://a:', '-----BEGIN PRIVATE KEY-----', 'ghp_', 'github_pat_', 'sk-', 'xoxb-', 'AKIA', 'Bearer ', 'Authorization: ', '--password ', '\\"', 'a password=b Bearer c eyJ.x.y //u:p@h sk-']
    const time = (text: string) => {
      const start = performance.now()
      redact(text)
      return performance.now() - start
    }
    for (const unit of units) {
      // a quadratic pattern takes tens of milliseconds at 8 KB and seconds at 64 KB; a linear one well under 1 ms
      expect(time(fill(unit, 8 * 1024)), unit).toBeLessThan(25)
      expect(time(fill(unit, 64 * 1024)), unit).toBeLessThan(150)
    }
    expect(time('token' + ' '.repeat(8 * 1024))).toBeLessThan(25)
  })
})

describe('redactValue', () => {
  it('walks objects and arrays and keeps other values', () => {
    const input = {command: 'x password=1', nested: {list: ['Bearer abcdefghijkl', 3, null, true]}, count: 2}
    expect(redactValue(input)).toEqual({command: 'x password=[REDACTED]', nested: {list: ['Bearer [REDACTED]', 3, null, true]}, count: 2})
    expect(input.command).toBe('x password=1')
  })

  it('redacts string values of fields named like secrets', () => {
    expect(redactValue({password: 'hunter2', api_key: 'abc', Authorization: 'xyz', user: 'bob', token: ''})).toEqual({password: '[REDACTED]', api_key: '[REDACTED]', Authorization: '[REDACTED]', user: 'bob', token: ''})
  })

  it('redacts a plain string', () => {
    expect(redactValue('token=abc')).toBe('token=[REDACTED]')
  })
})
