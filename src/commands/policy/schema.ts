import {readFileSync} from 'node:fs'

import {BaseCommand} from '../../cli/base.js'

export default class PolicySchema extends BaseCommand {
  static override summary = 'Print the JSON Schema of policy files.'
  static override description = 'The schema (draft 2020-12) behind validation and editor completion. Point your editor at it with a first line like:\n  # yaml-language-server: $schema=<path to schemas/policy.schema.json>'
  static override examples = ['<%= config.bin %> policy schema > policy.schema.json']

  async run(): Promise<unknown> {
    await this.parse(PolicySchema)
    const text = readFileSync(new URL('../../../schemas/policy.schema.json', import.meta.url), 'utf8')
    const schema: unknown = JSON.parse(text)
    if (!this.jsonEnabled()) process.stdout.write(text.endsWith('\n') ? text : text + '\n')
    return schema
  }
}
