// Preloaded (`node --expose-gc --require …/gc-on-signal.cjs`) into both processes whose idle RSS the
// benchmark compares, the server and the bare baseline alike: SIGUSR2 runs a full garbage collection.
// It changes nothing else in the process. Plain CommonJS: the server under test runs on plain node.
'use strict'
process.on('SIGUSR2', () => {
  globalThis.gc()
  globalThis.gc()
})
