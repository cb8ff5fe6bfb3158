import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {snapshotRoutes} from '../../../src/core/engine/evaluate.js'
import {compileFile} from '../../../src/core/policy/compile.js'
import {listProfiles, profilePath} from '../../../src/core/policy/load.js'
import {parsePolicyText, type Snapshot} from '../../../src/core/policy/parse.js'
import {packageRoot} from '../../../src/core/package-root.js'

describe('shipped profile snapshots (dist/profiles, written by the build)', () => {
  it.each(listProfiles())('%s: the stored rule routes are the ones the engine works out from the YAML', (name) => {
    const snapshot = JSON.parse(readFileSync(join(packageRoot(), 'dist', 'profiles', `${name}.json`), 'utf8')) as Snapshot
    const file = profilePath(name)
    const compiled = compileFile(parsePolicyText(readFileSync(file, 'utf8'), file), {layer: 'builtin', home: '/elsewhere', caseInsensitivePaths: false, orderStart: 0})
    expect(snapshot.routes).toEqual(snapshotRoutes(compiled))
    // routes are what lets a one-shot run skip reading every glob: most exec rules have one
    expect(snapshot.routes?.flat().filter((r) => r !== null).length).toBeGreaterThan(5)
  })
})
