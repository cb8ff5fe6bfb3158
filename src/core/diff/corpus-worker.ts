import {parentPort, workerData} from 'node:worker_threads'

import {loadCorpus} from '../bench/corpus.js'
import {PolicyError} from '../errors.js'

// Parses corpus files on another core while the main thread reads git and replays the other calls: YAML parsing of
// a large corpus is the slowest single step of a diff.
const files = workerData as string[]
try {
  parentPort?.postMessage({ok: true, corpora: files.map((f) => loadCorpus(f))})
} catch (error) {
  parentPort?.postMessage(error instanceof PolicyError
    ? {ok: false, pos: error.pos, problem: error.problem, hint: error.hint}
    : {ok: false, message: (error as Error).message})
}
