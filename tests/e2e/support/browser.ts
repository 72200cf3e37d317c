// Debian's Chromium driven by playwright-core (which never downloads a browser), screenshots of each step,
// and the checks the tests share.
import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'

export const e2eDir = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Screenshots of every step go below here (git-ignored). */
export const resultsDir = join(e2eDir, 'test-results')

/** Debian's package puts it here (`.ci/run` installs it when missing); CHROMIUM_PATH points elsewhere. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** A desktop window, as the README's screenshots show it. */
export const desktop = { width: 1280, height: 800 }

/** Numbered full-page screenshots of one test's steps, in a folder of their own (emptied first). */
export class Shots {
  readonly dir: string
  #count = 0

  constructor(...path: string[]) {
    this.dir = join(resultsDir, ...path.map(slug))
    rmSync(this.dir, { recursive: true, force: true })
    mkdirSync(this.dir, { recursive: true })
  }

  async take(page: Page, step: string): Promise<void> {
    this.#count++
    await page.screenshot({ path: join(this.dir, `${String(this.#count).padStart(2, '0')}-${slug(step)}.png`), fullPage: true })
  }
}

export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'step'
  )
}

let people = 0
export interface Person {
  first: string
  last: string
  email: string
  password: string
}

/** Someone new for each test: no test depends on another's account. */
export function newPerson(first: string, last = 'Tester'): Person {
  people++
  return {
    first,
    last,
    email: `${first.toLowerCase()}.${people}.${process.pid}@example.com`,
    password: `correct horse battery ${people} staple`,
  }
}

/** Fills the hosted signup form's names, email and password with `person`'s (the caller submits it). */
export async function fillSignupForm(page: Page, person: Person): Promise<void> {
  await page.getByLabel(/^First name/).fill(person.first)
  await page.getByLabel(/^Last name/).fill(person.last)
  await page.getByLabel('Email').fill(person.email)
  await page.getByLabel('Password').fill(person.password)
}

/** The text on the page, whitespace collapsed. */
export async function pageText(page: Page): Promise<string> {
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ').trim()
}

/** Inputs a person fills in (not hidden or buttons) that have no label a screen reader would announce. */
export function unlabelledInputs(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = []
    for (const input of Array.from(document.querySelectorAll('input, select, textarea'))) {
      const type = (input.getAttribute('type') ?? 'text').toLowerCase()
      if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue
      // Not rendered and out of the accessibility tree (the reset page's username field for password managers).
      if ((input as HTMLElement).hidden && input.getAttribute('aria-hidden') === 'true') continue
      const id = input.id
      const byFor = id !== '' && Array.from(document.querySelectorAll('label')).some((l) => l.htmlFor === id && (l.textContent ?? '').trim() !== '')
      const wrapped = input.closest('label') !== null && (input.closest('label')!.textContent ?? '').trim() !== ''
      const aria =
        (input.getAttribute('aria-label') ?? '').trim() !== '' ||
        (input.getAttribute('aria-labelledby') ?? '')
          .split(/\s+/)
          .some((ref) => ref !== '' && (document.getElementById(ref)?.textContent ?? '').trim() !== '')
      if (!byFor && !wrapped && !aria) found.push(input.outerHTML)
    }
    return found
  })
}

/** The labelled inputs of the page, as `id` list: so a test can see the check looked at something. */
export function labelledInputIds(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('input'))
      .filter((input) => !['hidden', 'submit'].includes(input.type) && !input.hidden)
      .map((input) => input.id),
  )
}

/** What has the keyboard focus: `#id` for inputs, `button:Text`/`a:Text` for the rest, with whether it's visibly outlined. */
export function focused(page: Page): Promise<{ name: string; visible: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null
    if (!el || el === document.body) return { name: 'body', visible: false }
    const style = getComputedStyle(el)
    const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    const name = el.tagName === 'INPUT' ? `#${el.id}` : `${el.tagName.toLowerCase()}:${(el.textContent ?? '').trim()}`
    return { name, visible: el.matches(':focus-visible') && (outlined || style.boxShadow !== 'none') }
  })
}
