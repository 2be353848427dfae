import { SymphonyError, type SymphonyErrorJSON } from '@symphony/types';
import { signText, type PublisherKeyPair } from './keys.js';

/**
 * The client half of the registry's HTTP API, here so the SDK's `publish` needs no import
 * of the registry (which sits above the SDK). The wire contract:
 *
 *   PUT  /-/packages[?tag=next]           body = tarball, header x-symphony-integrity → 201 PublishReceipt
 *   POST /<id>/-/<action>                 body = SignedRegistryRequest (deprecate, yank, dist-tag)
 *   errors: { error: SymphonyErrorJSON } with a 4xx/5xx status
 */
export interface PublishReceipt {
  id: string;
  version: string;
  integrity: string;
  distTags: Record<string, string>;
}

export type RegistryAction = 'deprecate' | 'undeprecate' | 'yank' | 'unyank' | 'dist-tag';

export interface SignedRegistryRequest {
  action: RegistryAction;
  id: string;
  version: string;
  /** deprecate: the message; dist-tag: the tag name. */
  argument: string;
  keyId: string;
  publicKey: string;
  /** ms since epoch; the registry refuses requests older than a few minutes (no replay). */
  timestamp: number;
  signature: string;
}

export function registryRequestText(r: Omit<SignedRegistryRequest, 'signature' | 'publicKey'>): string {
  return `symphony-registry-request/v1\n${r.action}\n${r.id}\n${r.version}\n${r.argument}\n${r.keyId}\n${r.timestamp}\n`;
}

export function signRegistryRequest(
  pair: PublisherKeyPair,
  request: { action: RegistryAction; id: string; version: string; argument?: string; timestamp?: number },
): SignedRegistryRequest {
  const unsigned = { action: request.action, id: request.id, version: request.version, argument: request.argument ?? '', keyId: pair.keyId, timestamp: request.timestamp ?? Date.now() };
  return { ...unsigned, publicKey: pair.publicKey, signature: signText(pair.privateKeyPem, registryRequestText(unsigned)) };
}

export async function publishPackage(options: { registry: string; tarball: Buffer; integrity: string; tag?: string; signal?: AbortSignal }): Promise<PublishReceipt> {
  const url = new URL('-/packages', withSlash(options.registry));
  if (options.tag) url.searchParams.set('tag', options.tag);
  return registryFetch<PublishReceipt>(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'x-symphony-integrity': options.integrity },
    body: options.tarball,
    signal: options.signal,
  });
}

export async function sendRegistryRequest(registry: string, request: SignedRegistryRequest): Promise<unknown> {
  const url = new URL(`${encodeURIComponent(request.id)}/-/${request.action}`, withSlash(registry));
  return registryFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

async function registryFetch<T>(url: URL, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (cause) {
    throw new SymphonyError('E_REGISTRY_UNREACHABLE', `cannot reach the registry at ${url.origin}: ${(cause as Error).message}`, {
      details: { url: url.href },
      cause,
    });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = (body as { error?: SymphonyErrorJSON } | undefined)?.error;
    if (error?.code) throw SymphonyError.fromJSON(error);
    throw new SymphonyError('E_REGISTRY_FAILED', `the registry answered ${response.status} for ${url.pathname}`, {
      details: { url: url.href, status: response.status },
    });
  }
  return body as T;
}
