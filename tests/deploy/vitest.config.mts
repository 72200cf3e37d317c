import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The journey waits for the app's 1-minute token to need renewing (about 55 s after signup).
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
})
