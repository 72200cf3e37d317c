/**
 * What a set-up started, to be stopped again: `run()` takes the steps last-first, runs each even when one before
 * it failed, and then throws the first failure. A set-up that fails part-way runs it, so nothing is left behind.
 */
export class Undo {
  private steps: (() => Promise<void> | void)[] = []

  push(step: () => Promise<void> | void): void {
    this.steps.push(step)
  }

  /** Runs (and forgets) every step; safe to call twice. */
  readonly run = async (): Promise<void> => {
    const errors: unknown[] = []
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step()
      } catch (error) {
        errors.push(error)
      }
    }
    if (errors.length > 0) throw errors[0]
  }
}
