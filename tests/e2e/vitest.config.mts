import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A flow is a few seconds; starting the server, the app and Chromium about five.
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // Two files at a time: two of them spend a minute waiting for a token's renewal.
    maxWorkers: 2,
  },
})
