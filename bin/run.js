#!/usr/bin/env node
// The `rampart` command (CommonJS on purpose, see bin/package.json). A plain dry run — `rampart test "<call>"`
// with its flags — is served by a single-file CommonJS bundle without oclif and without starting Node's ESM
// loader, which together cost more than Node's own start-up. Everything else goes through oclif, which reads
// oclif.manifest.json so that only the command being run is imported.
'use strict'
const args = process.argv.slice(2)
let code
if (!process.env.RAMPART_NO_FAST_PATH) {
  if (args[0] === 'test') {
    code = require('./load-lean.js')('lean').tryFastDryRun(args.slice(1))
  } else if (args[0] === 'hook' && args[1] === 'claude-code' && !args.includes('--help')) {
    // runs on every tool call an agent makes: the leanest path there is. Even a broken install must answer with a
    // deny and exit 0 — a crash or a non-zero exit lets Claude Code run the call.
    try {
      code = require('./load-lean.js')('lean-hook').runHook(args.slice(2))
    } catch (error) {
      const reason = `Rampart: the hook cannot start (${String(error && error.message).split('\n')[0]}); failing closed — reinstall rampart (npm install)`
      process.stdout.write(JSON.stringify({hookSpecificOutput: {hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason}}) + '\n')
      code = 0
    }
  } else if (args[0] === 'policy' && args[1] === 'lint') {
    // a one-shot run: V8's optimising compiler costs more than it saves before the process exits
    require('node:v8').setFlagsFromString('--max-opt=1')
    code = require('../dist/lean-lint.cjs').tryFastLint(args.slice(2))
  }
}
if (code === undefined) {
  // the package root, not bin/ (whose package.json only sets the module type)
  import('@oclif/core').then(({execute}) => execute({dir: require('node:path').join(__dirname, '..', 'package.json')}))
} else {
  process.exitCode = code
}
