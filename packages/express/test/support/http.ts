import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Running {
  url: string
  close(): Promise<void>
}

/** Serves an app (Express 4 or 5) on a loopback port. */
export async function serve(app: RequestListener): Promise<Running> {
  const server: Server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** A response whose JSON body the test reads freely. */
export type TestResponse = Omit<Response, 'json'> & { json(): Promise<any> }

/** A request that does not follow redirects, so the test sees each answer. */
export function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<TestResponse> {
  return fetch(url, { method, headers, redirect: 'manual' })
}

/** The name=value pairs and attributes of each Set-Cookie header. */
export function setCookies(response: TestResponse): { name: string; value: string; attributes: string }[] {
  return response.headers.getSetCookie().map((line) => {
    const [pair, ...rest] = line.split(';')
    const eq = pair!.indexOf('=')
    return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attributes: rest.join(';').trim() }
  })
}

/** A GET with a Host header of the test's choosing (fetch would replace it). */
export function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { host } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}
