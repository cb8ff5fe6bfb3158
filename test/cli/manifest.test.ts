import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {flags: Record<string, unknown>}>}

function commandFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? commandFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
}

/** src/commands/policy/lint.ts → policy:lint; a topic's index.ts is the topic itself (rules/index.ts → rules) */
const commandId = (file: string) => relative(join(root, 'src', 'commands'), file).replace(/\.ts$/, '').replace(/\/index$/, '').split('/').join(':')

describe('oclif.manifest.json', () => {
  const files = commandFiles(join(root, 'src', 'commands'))

  it('lists exactly the commands in src/commands', () => {
    const ids = files.map(commandId)
    expect(Object.keys(manifest.commands).sort()).toEqual(ids.sort())
  })

  it.each(files.map((f) => [relative(root, f), f]))('%s: flags match the manifest', async (_name, file) => {
    const id = commandId(file)
    const {default: Cmd} = await import(file) as {default: {flags?: Record<string, unknown>; enableJsonFlag?: boolean}}
    const flags = Object.keys({...(Cmd.flags ?? {}), ...(Cmd.enableJsonFlag ? {json: true} : {})}).sort()
    expect(Object.keys(manifest.commands[id]?.flags ?? {}).sort()).toEqual(flags)
  })
})
