import {runHook} from '../cli/fast-hook.js'
import {githubChannelFromEnv} from './channel.js'

// The hook as `mode: setup` installs it (dist/action/hook.cjs, self-contained: the job has no node_modules of ours).
// In a run attached to a pull request, headless asks become PR-comment approval requests.
runHook(process.argv.slice(2), undefined, (env) => githubChannelFromEnv(env))
