#!/usr/bin/env node
// The `rampart` command. oclif reads oclif.manifest.json, so only the command being run is imported.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
