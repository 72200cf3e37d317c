/**
 * At most `max` tasks per key at once in this process; the others wait their turn, first come first served.
 * Nothing is refused: the gate only bounds how many run together.
 */
export function inFlightGate(max: number) {
  const gates = new Map<string, { running: number; waiting: (() => void)[] }>()

  /** Waits for a place for `key`; the returned function gives it back (call it once, when the task is done). */
  async function enter(key: string): Promise<() => void> {
    let gate = gates.get(key)
    if (!gate) gates.set(key, (gate = { running: 0, waiting: [] }))
    if (gate.running < max) gate.running++
    // The place is handed over by the task leaving, so `running` stays counted for us.
    else await new Promise<void>((resolve) => gate.waiting.push(resolve))
    const place = gate
    return () => {
      const next = place.waiting.shift()
      if (next) return next()
      if (--place.running === 0) gates.delete(key)
    }
  }

  return { enter }
}
