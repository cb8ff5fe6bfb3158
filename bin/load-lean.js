'use strict'
// Load a single-file lean bundle with V8's code cache, written by the build after a warm-up run, so that the
// functions a dry run or hook call needs are not compiled again on every start. Any problem (no cache, a cache
// from another Node version, which V8 rejects) falls back to a plain require: the cache only ever saves time.
const fs = require('node:fs')
const path = require('node:path')
const vm = require('node:vm')
const Module = require('node:module')

module.exports = function loadLean(name) {
  const file = path.join(__dirname, '..', 'dist', `${name}.cjs`)
  let cachedData
  try {
    cachedData = fs.readFileSync(`${file}.cache`)
  } catch {
    return require(file)
  }
  try {
    const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), {filename: file, cachedData})
    if (script.cachedDataRejected) return require(file)
    const mod = {exports: {}, filename: file, id: file, loaded: false}
    script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file))
    return mod.exports
  } catch {
    return require(file)
  }
}
