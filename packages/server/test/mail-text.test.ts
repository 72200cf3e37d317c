import { describe, expect, it } from 'vitest'
import { inert } from '../src/services/mail-text.js'
import { emailProblem } from '../src/domain/validation.js'

describe('inert: user-typed text in mails links nowhere', () => {
  it('defuses schemes, www. hosts, bare domains, addresses and IP addresses', () => {
    expect(inert('Visit https://evil.example now')).toBe('Visit https[:]//evil[.]example now')
    expect(inert('www.evil.example')).toBe('www[.]evil[.]example')
    expect(inert('evil.example/login')).toBe('evil[.]example/login')
    expect(inert('help@evil.example')).toBe('help@evil[.]example')
    expect(inert('http://203.0.113.7:8080/')).toBe('http[:]//203[.]0[.]113[.]7:8080/')
    // Dots that IDNA reads as dots, too.
    expect(inert('evil。example and evil．example')).toBe('evil[.]example and evil[.]example')
  })

  it('keeps ordinary names as they are', () => {
    for (const name of ['Anne-Marie O’Neil', 'J. R. R. Smith', 'Acme Inc.', 'Zoë', '株式会社 山田', 'Wait... what']) expect(inert(name)).toBe(name)
  })
})

describe('emailProblem', () => {
  it('refuses addresses that read as links in a mail: a scheme or a path', () => {
    expect(emailProblem('http://evil.example/x@example.com')).toBe('Enter an email address like name@example.com.')
    expect(emailProblem('evil.example/x@example.com')).toBe('Enter an email address like name@example.com.')
    expect(emailProblem('ann.lee+tag@example.com')).toBeNull()
  })
})
