import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Packing takes about 15 s; the install about two minutes, most of it compiling better-sqlite3.
    hookTimeout: 240_000,
  },
})
