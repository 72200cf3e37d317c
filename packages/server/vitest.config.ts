import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two files at a time even on a 2-core machine (the default would be one): much of each file's time is spent
    // waiting on PostgreSQL, fsyncs and argon2's thread pool.
    maxWorkers: 2,
  },
})
