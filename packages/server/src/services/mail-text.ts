/**
 * Dots as mail clients read them in a host name: ASCII's, and the ideographic and fullwidth ones that IDNA
 * turns into it. One between two characters that aren't spaces could end a domain (`evil.example`,
 * `www.evil.example`, `a@evil.example`, `1.2.3.4`); a dot that ends a sentence or an initial (`J. Smith`)
 * is followed by a space or nothing and stays.
 */
const HOST_DOT = /(?<=\S)[.\u3002\uFF0E\uFF61](?=[^\s.\u3002\uFF0E\uFF61])/gu

/**
 * User-typed text (a name, an account name, an address) made inert for a plain-text mail: nothing a mail
 * client would turn into a link. Mail from the realm's address is trusted by its readers, so a name like
 * "Visit https://evil.example now" must not become a clickable link there. Dots inside a word become `[.]`
 * and `://` becomes `[:]//`, the way security advisories write indicators ("evil[.]example"), so the text
 * stays readable and shows what was typed; ordinary names ("Anne-Marie O'Neil", "J. R. Smith") are unchanged.
 */
export function inert(text: string): string {
  return text.replace(/:\/\//g, '[:]//').replace(HOST_DOT, '[.]')
}
