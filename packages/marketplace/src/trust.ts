import { keyIdOf, publicKeyObject, type PackSignature } from '@symphony/sdk';
import { SymphonyError } from '@symphony/types';

/** Publishers whose signatures this installation accepts, and the namespaces each may sign for. */
export interface TrustFile {
  publishers: Record<string, { namespaces: string[]; keys: string[] }>;
}

export function emptyTrust(): TrustFile {
  return { publishers: {} };
}

export function addTrust(trust: TrustFile, publisher: string, namespaces: string[], publicKey: string): TrustFile {
  publicKeyObject(publicKey); // refuses a malformed key with E_KEY_INVALID
  const prev = trust.publishers[publisher] ?? { namespaces: [], keys: [] };
  return {
    publishers: {
      ...trust.publishers,
      [publisher]: {
        namespaces: [...new Set([...prev.namespaces, ...namespaces])],
        keys: [...new Set([...prev.keys, publicKey])],
      },
    },
  };
}

/**
 * Checks that a package's signer is trusted for its namespace. An unknown key is
 * `E_SIGNER_UNTRUSTED`; a key trusted only for another publisher's namespaces is
 * `E_SIGNER_MISMATCH` (a trusted author cannot sign someone else's extension).
 */
export function assertTrustedSigner(trust: TrustFile, id: string, signature: PackSignature): string {
  const namespace = id.slice(0, id.indexOf('.'));
  const keyId = keyIdOf(signature.publicKey);
  const holders = Object.entries(trust.publishers).filter(([, p]) => p.keys.includes(signature.publicKey));
  if (holders.length === 0) {
    throw new SymphonyError('E_SIGNER_UNTRUSTED', `${id}@${signature.version} is signed by key ${keyId}, which is not in your trusted publishers; trust the publisher's key first (symphony ext trust)`, {
      details: { id, version: signature.version, keyId },
    });
  }
  const owner = holders.find(([, p]) => p.namespaces.includes(namespace));
  if (!owner) {
    throw new SymphonyError('E_SIGNER_MISMATCH', `${id} is signed by ${holders.map(([n]) => `"${n}"`).join(', ')}, who is not trusted for the namespace "${namespace}"`, {
      details: { id, version: signature.version, keyId, namespace, signers: holders.map(([n]) => n) },
    });
  }
  return owner[0];
}
