import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import {loadCorpus, type CorpusCase} from '../bench/corpus.js'
import {PolicyError, type SourcePos} from '../errors.js'

type Reply = {ok: true; corpora: CorpusCase[][]} | {ok: false; pos: SourcePos; problem: string; hint: string} | {ok: false; message: string}

/**
 * Load corpus files in a worker thread; the promise settles with what loadCorpus would return or throw. Where
 * the compiled worker is not next to this module (sources run directly by a test runner), it loads in-thread.
 */
export function loadCorporaInBackground(files: readonly string[]): {corpora: Promise<CorpusCase[][]>; stop(): void} {
  const script = new URL('./corpus-worker.js', import.meta.url)
  if (files.length === 0 || !existsSync(fileURLToPath(script))) {
    let corpora: Promise<CorpusCase[][]>
    try {
      corpora = Promise.resolve(files.map((f) => loadCorpus(f)))
    } catch (error) {
      corpora = Promise.reject(error as Error)
    }
    return {corpora, stop: () => undefined}
  }
  const worker = new Worker(script, {workerData: [...files]})
  const corpora = new Promise<CorpusCase[][]>((resolve, reject) => {
    let settled = false
    worker.once('message', (reply: Reply) => {
      settled = true
      if (reply.ok) resolve(reply.corpora)
      else if ('pos' in reply) reject(new PolicyError(reply.pos, reply.problem, reply.hint))
      else reject(new Error(reply.message))
    })
    worker.once('error', (error) => {
      settled = true
      reject(error)
    })
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the corpus worker stopped (exit ${code}) before answering`))
    })
  })
  // a diff that fails early (unknown revision) should not wait for the parse to finish before exiting
  return {corpora, stop: () => void worker.terminate()}
}
