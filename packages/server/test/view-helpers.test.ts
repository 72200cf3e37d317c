// The helpers every page shares for moments (and, below, admin addresses): one way to write each, so pages agree.
import { describe, expect, it } from 'vitest'
import { adminUrl } from '../src/views/admin-urls.js'
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

describe('admin portal addresses', () => {
  it('a realm’s pages and its users’, accounts’ and mails’ pages', () => {
    const realm = adminUrl.realm('rl_abc')
    expect([realm.settings, realm.keys, realm.integration, realm.users, realm.accounts, realm.events, realm.mail]).toEqual(
      ['settings', 'keys', 'integration', 'users', 'accounts', 'events', 'mail'].map((page) => `/admin/realms/rl_abc/${page}`),
    )
    expect(realm.user('usr_1')).toBe('/admin/realms/rl_abc/users/usr_1')
    expect(realm.account('org_1')).toBe('/admin/realms/rl_abc/accounts/org_1')
    expect(realm.message(7)).toBe('/admin/realms/rl_abc/mail/7')
  })

  it('an id can’t reach outside its path segment', () => {
    expect(adminUrl.realm('../x?y#z').user('a/../../b')).toBe('/admin/realms/..%2Fx%3Fy%23z/users/a%2F..%2F..%2Fb')
  })
})
