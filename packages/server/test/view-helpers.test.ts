// The helpers every page shares for moments (and, below, admin addresses): one way to write each, so pages agree.
import { describe, expect, it } from 'vitest'
import { dayTime, minuteTime, secondTime, utcDay } from '../src/views/format.js'

describe('moments on the pages', () => {
  // 23:59:30 UTC is already the next day east of UTC: the pages show UTC, whatever the server's time zone.
  const late = new Date('2026-01-31T23:59:30.250Z')
  const exact = 'datetime="2026-01-31T23:59:30.250Z"'

  it('a day is the UTC date', () => {
    expect(utcDay(late)).toBe('2026-01-31')
    expect(String(dayTime(late))).toBe(`<time ${exact}>2026-01-31</time>`)
  })

  it('a minute says UTC; a second (in a table headed "Time (UTC)") does not', () => {
    expect(String(minuteTime(late))).toBe(`<time ${exact}>2026-01-31 23:59 UTC</time>`)
    expect(String(secondTime(late))).toBe(`<time ${exact}>2026-01-31 23:59:30</time>`)
  })
})
