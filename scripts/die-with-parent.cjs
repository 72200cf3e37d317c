// Preloaded (node --require) into the processes that scripts/start.mjs starts. They talk to it over an IPC
// channel; when the parent goes away in any way (Ctrl-C, a crash, even SIGKILL) the channel closes and the
// child stops as if it had been sent SIGTERM, so nothing is left listening on the demo's ports.
if (process.channel) {
  process.channel.unref() // the channel alone doesn't keep the child running
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))
}
