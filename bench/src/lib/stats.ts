/** Figures and tables shared by the benchmarks. */

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** A Markdown table; `right[i]` right-aligns column i. */
export function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`
  return [line(header), rule, ...rows.map(line)].join('\n')
}

/** A whole number with thousands separators. */
export const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** A number with `digits` decimals and thousands separators. */
export const fmtFixed = (n: number, digits: number) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

/**
 * A ratio as `0.87×`, rounded towards the verdict's safe side: down for "at least" targets, up for "at
 * most" ones, so that a ratio just short of its target never reads as the target.
 */
export function ratioText(ratio: number, round: 'down' | 'up' = 'down'): string {
  const r = round === 'down' ? Math.floor(ratio * 100) / 100 : Math.ceil(ratio * 100) / 100
  return `${r.toFixed(2)}×`
}
