import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SymphonyError } from '@symphony/types';

/**
 * An author's ed25519 signing key. The public half travels as the raw 32 bytes in base64url
 * (a JWK `x`), short enough to paste into a registry's publisher list or a trust file.
 */
export interface PublisherKeyPair {
  /** `ed25519:<first 16 hex of sha256(raw public key)>`: names the key in signatures and trust lists. */
  keyId: string;
  publicKey: string;
  privateKeyPem: string;
}

/** What `keys generate` writes next to the private key, safe to share. */
export interface PublicKeyFile {
  keyId: string;
  publicKey: string;
  publisher?: string;
}

export function keyIdOf(publicKey: string): string {
  return `ed25519:${createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex').slice(0, 16)}`;
}

export function generateKeyPair(): PublisherKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x as string;
  return { keyId: keyIdOf(x), publicKey: x, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

export function publicKeyObject(publicKey: string): KeyObject {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
    if (Buffer.from(publicKey, 'base64url').length !== 32) throw new Error('not 32 bytes');
    return key;
  } catch (cause) {
    throw new SymphonyError('E_KEY_INVALID', `"${publicKey}" is not an ed25519 public key (base64url of 32 bytes)`, {
      details: { publicKey },
      cause,
    });
  }
}

/** Reads a PEM private key and derives its public half, so a signer never needs two files. */
export function keyPairFromPem(privateKeyPem: string, source = '(inline key)'): PublisherKeyPair {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (cause) {
    throw new SymphonyError('E_KEY_INVALID', `${source} is not a PEM private key`, { details: { path: source }, cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SymphonyError('E_KEY_INVALID', `${source} is a ${key.asymmetricKeyType} key; Symphony signs with ed25519 (run \`symphony-sdk keys generate\`)`, {
      details: { path: source, type: key.asymmetricKeyType },
    });
  }
  const x = createPublicKey(key).export({ format: 'jwk' }).x as string;
  return { keyId: keyIdOf(x), publicKey: x, privateKeyPem };
}

export function signText(privateKeyPem: string, text: string): string {
  return sign(null, Buffer.from(text, 'utf8'), createPrivateKey(privateKeyPem)).toString('base64url');
}

/** False (never a throw) for a bad signature; a malformed public key is `E_KEY_INVALID`. */
export function verifyText(publicKey: string, text: string, signature: string): boolean {
  const key = publicKeyObject(publicKey);
  try {
    return verify(null, Buffer.from(text, 'utf8'), key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

/** Writes `<name>.key` (mode 0600) and `<name>.pub.json`; returns both paths. */
export async function writeKeyPair(
  dir: string,
  pair: PublisherKeyPair,
  options: { name?: string; publisher?: string } = {},
): Promise<{ privateKeyPath: string; publicKeyPath: string }> {
  const name = options.name ?? 'symphony-publisher';
  await mkdir(dir, { recursive: true });
  const privateKeyPath = join(dir, `${name}.key`);
  const publicKeyPath = join(dir, `${name}.pub.json`);
  // 'wx': never overwrite an existing key by accident; losing a key means losing a namespace.
  try {
    await writeFile(privateKeyPath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new SymphonyError('E_CONFLICT', `${privateKeyPath} already exists; pick another --name or delete it first`, {
        details: { path: privateKeyPath },
      });
    }
    throw cause;
  }
  const pub: PublicKeyFile = { keyId: pair.keyId, publicKey: pair.publicKey };
  if (options.publisher) pub.publisher = options.publisher;
  await writeFile(publicKeyPath, `${JSON.stringify(pub, null, 2)}\n`);
  return { privateKeyPath, publicKeyPath };
}

export async function readKeyPair(privateKeyPath: string): Promise<PublisherKeyPair> {
  let pem: string;
  try {
    pem = await readFile(privateKeyPath, 'utf8');
  } catch (cause) {
    throw new SymphonyError('E_NOT_FOUND', `no signing key at ${privateKeyPath} (run \`symphony-sdk keys generate\`)`, {
      details: { path: privateKeyPath },
      cause,
    });
  }
  return keyPairFromPem(pem, privateKeyPath);
}
