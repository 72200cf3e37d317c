const MAX_BYTES = 512 * 1024

/** A small JSON document from LoginRocket (keys, discovery): 200 only, no redirects, bounded in time and size. */
export async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (response.status !== 200) {
    await response.body?.cancel()
    throw new Error(`HTTP ${response.status}`)
  }
  const body = await response.text()
  if (body.length > MAX_BYTES) throw new Error('response too large')
  return JSON.parse(body)
}
