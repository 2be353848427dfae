import type { Endpoint } from 'comlink';
import type { BusEndpoint } from './endpoint.js';

/**
 * Every bus transport already has comlink's Endpoint shape; this types it as one, so
 * `Comlink.wrap(asComlinkEndpoint(socketEndpoint(s)))` works over sockets and child processes too.
 * (The bus's own calls do not go through comlink: comlink has no acknowledgements, cancellation or
 * batching, and leaves calls hanging when the peer dies.)
 */
export function asComlinkEndpoint(endpoint: BusEndpoint): Endpoint {
  return endpoint as unknown as Endpoint;
}
