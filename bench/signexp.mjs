import { generateKeyPair, SignJWT } from 'jose'
import { randomUUID } from 'node:crypto'
const { privateKey } = await generateKeyPair('RS256')
const N = 20000
const t0 = performance.now()
const out = []
for (let i = 0; i < N; i += 512) {
  const batch = []
  for (let j = i; j < Math.min(N, i + 512); j++) {
    batch.push(new SignJWT({ name: 'Dave Smith', orgs: [{ mid: 'mb_1', oid: 'org_1', name: 'W', perm: ['a'], selected: true }] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' }).setSubject('usr_1').setIssuer('http://127.0.0.1:1').setJti(randomUUID())
      .setIssuedAt().setExpirationTime('1h').sign(privateKey))
  }
  out.push(...await Promise.all(batch))
}
console.log(N / ((performance.now() - t0) / 1000), 'tokens/s', out[0].length)
