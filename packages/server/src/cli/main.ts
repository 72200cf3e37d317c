#!/usr/bin/env node
import { ConfigError } from '../config/load.js'
import { AppError } from '../errors/app-error.js'
import { runCli } from './run.js'

// The only place that touches the process: arguments, environment, signals and the exit code.
runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stdin: process.stdin }).then(
  (running) => {
    if (!running) return
    const stop = () => void running.stop().then(() => process.exit(0))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  },
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof AppError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`airlock: ${known ? (error as Error).message : `failed: ${(error as Error).message}`}\n`)
    process.exit(known ? 2 : 1)
  },
)
