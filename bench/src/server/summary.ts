/** One line of `bench:server`'s closing table: a figure, its same-run baseline, and the verdict on its target. */
export interface Verdict {
  bench: string
  figure: string
  baseline: string
  ratio: string
  target: string
  pass: boolean
}

export const verdictText = (pass: boolean) => (pass ? 'PASS' : 'BELOW')

export interface CommonOptions {
  profile: boolean
  profileDir: string
  log: (line: string) => void
}
