import { createPrivateKey } from 'node:crypto';

const OPENSSH = /^-----BEGIN OPENSSH PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END OPENSSH PRIVATE KEY-----\s*$/;
const PEM_PRIVATE =
  /^-----BEGIN (?:RSA |EC |DSA )?PRIVATE KEY-----[\s\S]+-----END (?:RSA |EC |DSA )?PRIVATE KEY-----\s*$/;
const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

/**
 * Why a text is not a usable SSH private key, or undefined when it is one: an unencrypted OpenSSH key
 * (`ssh-keygen`'s default format) or a PEM private key (PKCS#1, SEC1, PKCS#8). Passphrase-protected keys
 * are refused: nothing can unlock them when git or a pipeline uses the credential. Messages never quote
 * the key.
 */
export function sshKeyProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (/^(ssh-|ecdsa-|sk-)/.test(trimmed) || trimmed.includes('PUBLIC KEY-----')) {
    return 'is a public key; a private key is needed';
  }
  if (trimmed.includes('ENCRYPTED') || /Proc-Type:\s*4,ENCRYPTED/.test(trimmed)) {
    return 'is protected by a passphrase, which cannot be supplied when the key is used';
  }
  const openssh = OPENSSH.exec(`${trimmed}\n`);
  if (openssh) return opensshProblem(Buffer.from(openssh[1]!.replace(/\s+/g, ''), 'base64'));
  if (PEM_PRIVATE.test(trimmed)) {
    try {
      createPrivateKey({ key: trimmed, format: 'pem' });
      return undefined;
    } catch {
      return 'is not a readable PEM private key';
    }
  }
  return 'is not an SSH private key (expected an OpenSSH or PEM private key block)';
}

/** Walks the openssh-key-v1 container far enough to know it is whole and unencrypted. */
function opensshProblem(blob: Buffer): string | undefined {
  if (blob.length < MAGIC.length || !blob.subarray(0, MAGIC.length).equals(MAGIC)) {
    return 'is not a valid OpenSSH private key';
  }
  let offset = MAGIC.length;
  const readString = (): Buffer | undefined => {
    if (offset + 4 > blob.length) return undefined;
    const length = blob.readUInt32BE(offset);
    offset += 4;
    if (offset + length > blob.length) return undefined;
    const value = blob.subarray(offset, offset + length);
    offset += length;
    return value;
  };
  const cipher = readString()?.toString('latin1');
  const kdf = readString()?.toString('latin1');
  if (readString() === undefined || cipher === undefined || kdf === undefined)
    return 'is a truncated OpenSSH private key';
  if (cipher !== 'none' || kdf !== 'none') {
    return 'is protected by a passphrase, which cannot be supplied when the key is used';
  }
  if (offset + 4 > blob.length) return 'is a truncated OpenSSH private key';
  const count = blob.readUInt32BE(offset);
  offset += 4;
  if (count !== 1) return 'must hold exactly one key';
  if (readString() === undefined) return 'is a truncated OpenSSH private key';
  const secret = readString();
  if (!secret || secret.length < 8) return 'is a truncated OpenSSH private key';
  // Two equal check words open the private section of an intact, unencrypted key.
  if (secret.readUInt32BE(0) !== secret.readUInt32BE(4)) return 'is a damaged OpenSSH private key';
  return undefined;
}
