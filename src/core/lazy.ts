import {createRequire} from 'node:module'
import {join} from 'node:path'

import {packageRoot} from './package-root.js'

/**
 * Libraries loaded on first use rather than at start-up: a dry run or hook call on the built-in profile needs
 * none of them, and each costs milliseconds to import (quality.md start-up targets).
 */
const require = createRequire(import.meta.url)

let validatorsModule: import('./policy/validate-types.js').Validators | undefined

/**
 * The precompiled schema validators. Found next to this module (dist/core/policy/ via dist/core/lazy.js) or, from
 * the single-file lean bundle, through the package folder.
 */
export function validators(): import('./policy/validate-types.js').Validators {
  validatorsModule ??= loadGenerated('validate.generated.cjs')
  return validatorsModule
}

let validatorsAllModule: import('./policy/validate-types.js').Validators | undefined

/** The same validators reporting every error, not the first (for lint). */
export function validatorsAll(): import('./policy/validate-types.js').Validators {
  validatorsAllModule ??= loadGenerated('validate-all.generated.cjs')
  return validatorsAllModule
}

function loadGenerated(name: string): import('./policy/validate-types.js').Validators {
  try {
    return require(`./policy/${name}`) as import('./policy/validate-types.js').Validators
  } catch {
    return require(join(packageRoot(), 'dist', 'core', 'policy', name)) as import('./policy/validate-types.js').Validators
  }
}

let yamlModule: typeof import('yaml') | undefined
let re2Module: typeof import('re2js') | undefined
let picomatchModule: typeof import('picomatch') | undefined

/** The lint bundle ships yaml inside itself and hands it over here (one file to load instead of a hundred). */
export function provideYaml(mod: typeof import('yaml')): void {
  yamlModule = mod
}

export function yaml(): typeof import('yaml') {
  yamlModule ??= require('yaml') as typeof import('yaml')
  return yamlModule
}

export function re2js(): typeof import('re2js') {
  re2Module ??= require('re2js') as typeof import('re2js')
  return re2Module
}

export function picomatch(): typeof import('picomatch') {
  picomatchModule ??= require('picomatch') as typeof import('picomatch')
  return picomatchModule
}

let cryptoModule: typeof import('node:crypto') | undefined
let ulidModule: typeof import('ulid') | undefined

/** node:crypto costs a few milliseconds to load: a hook call that allows needs neither hashes nor keys. */
export function crypto(): typeof import('node:crypto') {
  cryptoModule ??= require('node:crypto') as typeof import('node:crypto')
  return cryptoModule
}

export function ulid(): typeof import('ulid') {
  ulidModule ??= require('ulid') as typeof import('ulid')
  return ulidModule
}
