/** A realm's signing key; its secret is stored sealed by the master key, never in the clear. */
export interface SigningKeyRecord {
  id: string
  realmId: string
  alg: 'RS256' | 'HS256'
  publicKey: string | null
  secretSealed: string
  createdAt: Date
  signsFrom: Date
  retireAt: Date | null
}
