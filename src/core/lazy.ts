import {createRequire} from 'node:module'

/**
 * Libraries loaded on first use rather than at start-up: a dry run or hook call on the built-in profile needs
 * none of them, and each costs milliseconds to import (quality.md start-up targets).
 */
const require = createRequire(import.meta.url)

let yamlModule: typeof import('yaml') | undefined
let re2Module: typeof import('re2js') | undefined
let picomatchModule: typeof import('picomatch') | undefined

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
