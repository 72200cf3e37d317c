#!/usr/bin/env node
import type { Running } from './run.js'

// The only place that touches the process: arguments, environment, signals and the exit code.

// Signal handlers come first, before loading the rest and opening the database: a SIGTERM or SIGINT during
// start-up lets the start finish (never a migration cut midway), then stops the server. A second signal exits at once.
let running: Running | undefined
let stopping = false
function onSignal(signal: NodeJS.Signals) {
  if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143)
  stopping = true
  if (running) stop(running)
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

function stop(server: Running) {
  server.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`airlock: stopped with an error: ${(error as Error).message}\n`)
      process.exit(1)
    },
  )
}

const { ConfigError } = await import('../config/load.js')
const { AppError } = await import('../errors/app-error.js')
const { runCli } = await import('./run.js')

runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stdin: process.stdin }).then(
  (started) => {
    // Another command is done once it returns: nothing keeps the process alive.
    if (!started) return
    running = started
    if (stopping) stop(started)
  },
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof AppError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`airlock: ${known ? (error as Error).message : `failed: ${(error as Error).message}`}\n`)
    process.exit(known ? 2 : 1)
  },
)
