// Moments as the pages show them: always UTC (the server's visitors are anywhere), in the ISO order that sorts,
// and in a <time> element with the exact instant for machines.

/** The day of a moment, as text: 2026-01-31. */
export const utcDay = (date: Date) => date.toISOString().slice(0, 10)

/** The first `length` characters of `2026-01-31 14:30:05`. */
const utcText = (date: Date, length: number) => date.toISOString().replace('T', ' ').slice(0, length)

/** A day: 2026-01-31. */
export const dayTime = (date: Date) => <time datetime={date.toISOString()}>{utcDay(date)}</time>

/** A moment to the minute, saying UTC: 2026-01-31 14:30 UTC. */
export const minuteTime = (date: Date) => <time datetime={date.toISOString()}>{utcText(date, 16)} UTC</time>

/** A moment to the second, as logs show it, where a heading or the text around it says UTC: 2026-01-31 14:30:05. */
export const secondTime = (date: Date) => <time datetime={date.toISOString()}>{utcText(date, 19)}</time>
