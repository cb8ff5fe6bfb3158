#!/usr/bin/env node
// The `rampart` command. A plain dry run (`rampart test "<call>" [flags]`) is served without loading oclif,
// which alone costs as much as Node's own start-up; everything else goes through oclif, which reads
// oclif.manifest.json so that only the command being run is imported.
const args = process.argv.slice(2)
let code
if (args[0] === 'test' && !process.env.RAMPART_NO_FAST_PATH) {
  const {tryFastDryRun} = await import('../dist/cli/fast.js')
  code = tryFastDryRun(args.slice(1))
}
if (code === undefined) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
} else {
  process.exitCode = code
}
