// A throwaway certificate authority and a server certificate signed by it, made with the openssl CLI
// (Node's crypto makes keys but can't write X.509 certificates).
import { execFileSync } from 'node:child_process'
import { createHash, createPublicKey } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const opensslPath = process.env.OPENSSL_PATH || '/usr/bin/openssl'

export interface Certificates {
  /** The CA's certificate (PEM file): what clients trust (NODE_EXTRA_CA_CERTS, https' `ca`). */
  caFile: string
  caPem: string
  /** The server's certificate and key (PEM files) for nginx. */
  certFile: string
  keyFile: string
  /** base64 SHA-256 of the server key's SubjectPublicKeyInfo: Chromium's --ignore-certificate-errors-spki-list. */
  spkiHash: string
}

function openssl(args: string[]): void {
  execFileSync(opensslPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** A CA valid for a day and a certificate for `names` (DNS names and IP addresses) signed by it, in `dir`. */
export function makeCertificates(dir: string, names: { dns: string[]; ip: string[] }): Certificates {
  const caKey = join(dir, 'ca.key')
  const caFile = join(dir, 'ca.pem')
  const keyFile = join(dir, 'server.key')
  const csr = join(dir, 'server.csr')
  const certFile = join(dir, 'server.pem')
  const extensions = join(dir, 'server.ext')
  // P-256 keys: made in milliseconds, unlike RSA ones.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  openssl(['req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '1', '-subj', '/CN=Airlock deploy test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  openssl(['req', ...ec, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${names.dns[0] ?? names.ip[0]}`])
  const altNames = [...names.dns.map((name) => `DNS:${name}`), ...names.ip.map((ip) => `IP:${ip}`)].join(',')
  writeFileSync(extensions, [`subjectAltName=${altNames}`, 'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', ''].join('\n'))
  openssl(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', certFile, '-days', '1', '-extfile', extensions])
  const spki = createPublicKey(readFileSync(keyFile)).export({ type: 'spki', format: 'der' })
  return { caFile, caPem: readFileSync(caFile, 'utf8'), certFile, keyFile, spkiHash: createHash('sha256').update(spki).digest('base64') }
}
