import { generateKeyPairSync } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { arMiddleware } from '../src/index.js'

const LR = 'https://demo.loginrocket.example'

describe('arMiddleware() configuration', () => {
  const saved = { ...process.env }
  afterEach(() => {
    process.env = { ...saved }
  })

  it('reads LOGINROCKET_URL and AUTHROCKET_JWT_KEY from the environment', () => {
    process.env.LOGINROCKET_URL = LR
    process.env.AUTHROCKET_JWT_KEY = 'jsk_' + 'a'.repeat(40)
    expect(typeof arMiddleware()).toBe('function')
  })

  it('takes direct configuration as the guide shows it', () => {
    delete process.env.LOGINROCKET_URL
    expect(arMiddleware({ authrocket: { loginrocketUrl: `${LR}/` } }).name).toBe('arMiddleware')
  })

  it('says which setting is missing and how to set it', () => {
    delete process.env.LOGINROCKET_URL
    expect(() => arMiddleware()).toThrow(
      /arMiddleware: LOGINROCKET_URL \(authrocket.loginrocketUrl\) is missing\. Set the LOGINROCKET_URL environment variable/,
    )
  })

  it.each([
    [{ authrocket: { loginrocketUrl: 'demo.loginrocket.example' } }, /LOGINROCKET_URL .* is not a URL/],
    [{ authrocket: { loginrocketUrl: 'ftp://demo.example' } }, /LOGINROCKET_URL .* must be an http or https URL/],
    [{ authrocket: { loginrocketUrl: `${LR}/#x` } }, /LOGINROCKET_URL .* must not contain credentials or a fragment/],
    [{ authrocket: { loginrocketUrl: LR }, cookieOptions: { maxAge: -1 } }, /cookieOptions\.maxAge must be a positive number/],
    [{ authrocket: { loginrocketUrl: LR }, cookieOptions: { expires: new Date('x') } }, /cookieOptions\.expires must be a valid Date/],
    [{ authrocket: { loginrocketUrl: LR, jwtKey: 'short' } }, /AUTHROCKET_JWT_KEY .* too short \(5 characters; at least 32/],
    [{ authrocket: { loginrocketUrl: LR, jwtKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' } }, /AUTHROCKET_JWT_KEY .* does not parse/],
    [{ authrocket: { loginrocketUrl: LR, jwtKey: 'A'.repeat(300) } }, /AUTHROCKET_JWT_KEY .* not a SubjectPublicKeyInfo/],
    [{ authrocket: { loginrocketUrl: LR, issuer: '' } }, /authrocket.issuer must be a non-empty string/],
    [{ authrocket: { loginrocketUrl: LR }, cookie: 'bad name' }, /arMiddleware: cookie must be a cookie name/],
    [{ authrocket: { loginrocketUrl: LR }, cookieOptions: { secure: 'yes' } }, /cookieOptions.secure must be true, false or 'auto'/],
    [{ authrocket: { loginrocketUrl: LR }, cookieOptions: { sameSite: 'none', secure: false } }, /'none' needs a Secure cookie/],
    [{ authrocket: { loginrocketUrl: LR }, cookieOptions: { path: 'x' } }, /cookieOptions.path must start with \//],
    [{ authrocket: { loginrocketUrl: LR }, appUrl: 'https://app.example.com/sub' }, /appUrl must be an origin/],
    [{ authrocket: { loginrocketUrl: LR }, logger: {} }, /logger must have a warn\(message\) method/],
    [{ authrocket: { loginrocketUrl: LR }, bindTokens: 'no' }, /bindTokens must be true or false \(got "no"\)/],
  ])('refuses %j', (options, message) => {
    expect(() => arMiddleware(options as never)).toThrow(message)
  })

  it('refuses a private key, naming the setting, and keys that are too weak', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
    expect(() => arMiddleware({ authrocket: { loginrocketUrl: LR, jwtKey: privatePem } })).toThrow(
      /AUTHROCKET_JWT_KEY \(authrocket.jwtKey\) is not usable: it is a private key/,
    )
    const weak = publicKey.export({ format: 'pem', type: 'spki' }) as string
    expect(() => arMiddleware({ authrocket: { loginrocketUrl: LR, jwtKey: weak } })).toThrow(/1024 bits; at least 2048/)
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }) as string
    expect(() => arMiddleware({ authrocket: { loginrocketUrl: LR, jwtKey: ec } })).toThrow(/it is a ec key; LoginRocket signs with RSA/)
  })
})
