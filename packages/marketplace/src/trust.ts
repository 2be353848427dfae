import { keyIdOf, publicKeyObject, type PackSignature } from '@symphony/sdk';
import { SymphonyError } from '@symphony/types';
import { PROTO_NAMES, nullRecord, own } from './own.js';

/** Publishers whose signatures this installation accepts, and the namespaces each may sign for. */
export interface TrustFile {
  publishers: Record<string, { namespaces: string[]; keys: string[] }>;
}

export function emptyTrust(): TrustFile {
  return { publishers: {} };
}

export function addTrust(trust: TrustFile, publisher: string, namespaces: string[], publicKey: string, reserved: readonly string[] = ['symphony']): TrustFile {
  publicKeyObject(publicKey); // refuses a malformed key with E_KEY_INVALID
  if (!/^[a-z][a-z0-9-]*$/.test(publisher) || PROTO_NAMES.has(publisher)) {
    throw new SymphonyError('E_INPUT_INVALID', `publisher name "${publisher}" must be lowercase letters, digits and -`, { details: { publisher } });
  }
  for (const ns of namespaces) {
    if (!/^[a-z][a-z0-9-]*$/.test(ns) || PROTO_NAMES.has(ns)) throw new SymphonyError('E_INPUT_INVALID', `namespace "${ns}" must be lowercase letters, digits and -`, { details: { namespace: ns } });
    if (reserved.includes(ns)) {
      throw new SymphonyError('E_NAMESPACE_RESERVED', `the namespace "${ns}" is reserved for Symphony's built-in extensions; no third party can be trusted for it`, { details: { namespace: ns, reserved } });
    }
  }
  const prev = own(trust.publishers, publisher) ?? { namespaces: [], keys: [] };
  const publishers = nullRecord(Object.entries(trust.publishers));
  publishers[publisher] = {
    namespaces: [...new Set([...prev.namespaces, ...namespaces])],
    keys: [...new Set([...prev.keys, publicKey])],
  };
  return { publishers };
}

/** Whether a signing key (by id, as registry metadata names it) is trusted for the id's namespace. */
export function signerTrusted(trust: TrustFile, id: string, keyId: string): boolean {
  const namespace = id.slice(0, id.indexOf('.'));
  return Object.values(trust.publishers).some((p) => p.namespaces.includes(namespace) && p.keys.some((k) => safeKeyId(k) === keyId));
}

/** The trusted publishers holding a key (by id), whatever their namespaces. */
export function holdersOf(trust: TrustFile, keyId: string): string[] {
  return Object.entries(trust.publishers).filter(([, p]) => p.keys.some((k) => safeKeyId(k) === keyId)).map(([name]) => name);
}

function safeKeyId(publicKey: string): string | undefined {
  try {
    return keyIdOf(publicKey);
  } catch {
    return undefined;
  }
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
