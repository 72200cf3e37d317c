/**
 * Run as a process of its own (see account-lookup-timing.test.ts), as an attacker's client would be: posts a
 * one-field `email` form for each address, from a fresh browser and client address each, and prints how long
 * each answer took. In the test's own process the server's work after an answer would hold up the reading of
 * that answer (one event loop), which no client elsewhere sees.
 */
import { Browser } from './browser.js'

const { base, page, path, emails, pauseMs } = JSON.parse(process.argv[2]!) as { base: string; page: string; path: string; emails: string[]; pauseMs: number }
const answers: { status: number; ms: number }[] = []
for (const [i, email] of emails.entries()) {
  const headers = { 'x-forwarded-for': `10.250.${i >> 8}.${i & 255}` }
  const browser = new Browser(base)
  await browser.get(page, headers)
  const started = performance.now()
  const res = await browser.post(path, { email }, headers)
  await res.text()
  answers.push({ status: res.status, ms: performance.now() - started })
  // Lets the server finish what it does after the answer, so that it never lands in the next measurement.
  await new Promise((resolve) => setTimeout(resolve, pauseMs))
}
process.stdout.write(JSON.stringify(answers))
