import {createRequire} from 'node:module'
import {join} from 'node:path'

import {packageRoot} from './package-root.js'

/**
 * Libraries loaded on first use rather than at start-up: a dry run or hook call on the built-in profile needs
 * none of them, and each costs milliseconds to import (quality.md start-up targets).
 */
const require = createRequire(import.meta.url)

type Validators = import('./policy/validate-types.js').Validators

/** `load` run on the first call only; later calls return what it gave. */
function once<T>(load: () => T): () => T {
  let value: T | undefined
  return () => (value ??= load())
}

/**
 * The precompiled schema validators. Found next to this module (dist/core/policy/ via dist/core/lazy.js) or, from
 * the single-file lean bundle, through the package folder.
 */
export const validators = once(() => loadGenerated('validate.generated.cjs'))

/** The same validators reporting every error, not the first (for lint). */
export const validatorsAll = once(() => loadGenerated('validate-all.generated.cjs'))

function loadGenerated(name: string): Validators {
  try {
    return require(`./policy/${name}`) as Validators
  } catch {
    return require(join(packageRoot(), 'dist', 'core', 'policy', name)) as Validators
  }
}

let yamlModule: typeof import('yaml') | undefined

/** The lint bundle ships yaml inside itself and hands it over here (one file to load instead of a hundred). */
export function provideYaml(mod: typeof import('yaml')): void {
  yamlModule = mod
}

export function yaml(): typeof import('yaml') {
  yamlModule ??= require('yaml') as typeof import('yaml')
  return yamlModule
}

export const re2js = once(() => require('re2js') as typeof import('re2js'))

export const picomatch = once(() => require('picomatch') as typeof import('picomatch'))

/** node:crypto costs a few milliseconds to load: a hook call that allows needs neither hashes nor keys. */
export const crypto = once(() => require('node:crypto') as typeof import('node:crypto'))

export const ulid = once(() => require('ulid') as typeof import('ulid'))
