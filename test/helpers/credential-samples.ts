import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { makeServiceAccount } from './fake-gcp.js';

/** A throwaway self-signed CA certificate (public material only), for elasticsearch credentials. */
export const TEST_CA_CERT = `-----BEGIN CERTIFICATE-----
MIIBiTCCAS+gAwIBAgIUaRNGblQ6pdXcabLQ+h/YGK+zigUwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOR2FudHJ5IHRlc3QgQ0EwIBcNMjYxMTI0MDA0NDQ1WhgPMjEy
NjEwMzEwMDQ0NDVaMBkxFzAVBgNVBAMMDkdhbnRyeSB0ZXN0IENBMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEirqaG9QGb0498SNh2+6FEWB+rWPIz/ln4HmVINNE
xtsDo7H+safDRzJpoh/kfi6UXAu3BBSOKkblw66YuxjiaqNTMFEwHQYDVR0OBBYE
FAVVcLBPIn6c71RDQk1XT6EApWUEMB8GA1UdIwQYMBaAFAVVcLBPIn6c71RDQk1X
T6EApWUEMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAN13mkcU
qVXBIL24LNNyesjA2ik2u7oPV53TLrxHCi9qAiBtH7dReFdccPtEXKL+aZgtugtj
2YBrn3WTHoygCy+4DA==
-----END CERTIFICATE-----
`;

const sshString = (value: Buffer | string) => {
  const bytes = Buffer.from(value);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};
const uint32 = (value: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
};

/**
 * An ed25519 key in ssh-keygen's OpenSSH format, built from a fresh Node key pair (so tests need no
 * ssh-keygen). `cipher` other than 'none' marks it passphrase-protected as ssh-keygen would.
 */
export function opensshKey(cipher = 'none'): string {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let secret = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString('test'),
  ]);
  const padding = (8 - (secret.length % 8)) % 8;
  secret = Buffer.concat([secret, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const blob = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString(cipher),
    sshString(cipher === 'none' ? 'none' : 'bcrypt'),
    sshString(cipher === 'none' ? '' : Buffer.concat([sshString(randomBytes(16)), uint32(16)])),
    uint32(1),
    sshString(publicBlob),
    sshString(secret),
  ]);
  const body = blob.toString('base64').replace(/(.{70})/g, '$1\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

export function pemKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    format: 'pem',
    type: 'pkcs8',
  }) as string;
}

/** A valid raw value for every credential type; `marker` goes into a secret field of each. */
export function sampleRaw(type: string, marker = `secret-${randomBytes(6).toString('hex')}`): Record<string, unknown> {
  switch (type) {
    case 'ssh':
      return { ssh_key: opensshKey() };
    case 'aws':
      return { access_key: 'AKIAEXAMPLE0000001', secret_key: marker };
    case 'gcp':
      return { json_key: makeServiceAccount({ private_key_id: marker }).jsonKey };
    case 'azure':
      return {
        client_id: 'cid',
        client_secret: marker,
        subscription_id: 'sub',
        tenant_id: 'tenant',
        environment: 'public',
      };
    case 'azure_storage':
      return { account_name: 'acct', access_key: marker };
    case 'basic_auth':
    case 'vmware':
      return { username: 'admin', password: marker };
    case 'elasticsearch':
      return { username: 'elastic', password: marker, ca_cert: TEST_CA_CERT };
    case 'swift':
      return {
        auth_url: 'https://keystone.example.com/v3',
        username: 'u',
        password: marker,
        domain_id: 'd',
        tenant_id: 't',
      };
    case 'custom':
      return { raw: { db_password: marker, db_user: 'app' } };
    default:
      throw new Error(`no sample for ${type}`);
  }
}

export const CREDENTIAL_TYPES = [
  'ssh',
  'aws',
  'gcp',
  'azure',
  'azure_storage',
  'basic_auth',
  'elasticsearch',
  'swift',
  'vmware',
  'custom',
] as const;
