import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Packr } from 'msgpackr';
import { SymphonyError } from '@symphony/types';
import { EndpointBase, type BusEndpoint } from '../endpoint.js';

/** Frame header: a 4-byte big-endian body length, then a msgpack body. */
const HEADER_BYTES = 4;
// Frames stay near one payload (the writer flushes at ~1 MiB), so twice the default payload cap.
export const DEFAULT_MAX_FRAME_BYTES = 128 * 1024 * 1024;

// Records off: both ends may be different builds, and frames must decode on their own.
const packr = new Packr({ useRecords: false });

export interface SocketEndpointOptions {
  /** A frame whose header announces more than this is a protocol error (the connection closes). */
  maxFrameBytes?: number;
}

/** Encodes one frame: header + msgpack body. */
export function encodeFrame(value: unknown): Buffer {
  const body = packr.pack(value);
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, HEADER_BYTES);
  return out;
}

/**
 * Splits a byte stream into frames. Throws `E_PROTOCOL` on an oversized header or a body that is
 * not msgpack; the caller closes the connection, since the stream can no longer be trusted.
 */
export class FrameDecoder {
  // Chunks are kept as they arrive and joined only once a whole frame is there: a large frame
  // that comes in many pieces is copied once, not once per piece.
  private chunks: Buffer[] = [];
  private buffered = 0;
  private bodyLength = -1; // -1: waiting for a header

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  push(chunk: Buffer, onFrame: (value: unknown) => void): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.bodyLength < 0) {
        if (this.buffered < HEADER_BYTES) return;
        const length = this.take(HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          throw new SymphonyError('E_PROTOCOL', `a socket frame announced ${length} bytes, over the ${this.maxFrameBytes}-byte cap`, {
            details: { length, maxFrameBytes: this.maxFrameBytes },
          });
        }
        this.bodyLength = length;
      }
      if (this.buffered < this.bodyLength) return;
      const body = this.take(this.bodyLength);
      const length = this.bodyLength;
      this.bodyLength = -1;
      let value: unknown;
      try {
        value = packr.unpack(body);
      } catch (cause) {
        throw new SymphonyError('E_PROTOCOL', `a socket frame is not valid msgpack: ${(cause as Error).message}`, {
          details: { length },
          cause,
        });
      }
      onFrame(value);
    }
  }

  /** Removes the first `n` buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const head = this.chunks[0]!;
        const used = Math.min(head.length, n - filled);
        head.copy(out, filled, 0, used);
        filled += used;
        if (used === head.length) this.chunks.shift();
        else this.chunks[0] = head.subarray(used);
      }
    }
    this.buffered -= n;
    return out;
  }
}

/** A connected Unix domain socket as a bus endpoint (for extensions started separately). */
export function socketEndpoint(socket: Socket, options: SocketEndpointOptions = {}): BusEndpoint {
  return new SocketEndpoint(socket, options.maxFrameBytes);
}

class SocketEndpoint extends EndpointBase implements BusEndpoint {
  readonly transfers = false;
  private readonly decoder: FrameDecoder;

  constructor(private readonly socket: Socket, maxFrameBytes?: number) {
    super();
    this.decoder = new FrameDecoder(maxFrameBytes);
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, (value) => this.dispatch(value));
      } catch (error) {
        // A malformed frame: drop the connection, never the host.
        this.markClosed({ reason: 'error', error: error as Error });
        socket.destroy();
      }
    });
    socket.on('error', (error) => this.markClosed({ reason: 'error', error }));
    socket.on('close', () => this.markClosed({ reason: 'closed' }));
  }

  postMessage(message: unknown): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(encodeFrame(message));
  }

  close(): void {
    this.markClosed({ reason: 'closed' });
    this.socket.end();
  }
}

/** Connects to a listening host socket (the extension side of a separately started extension). */
export function connectSocket(path: string, options: SocketEndpointOptions = {}): Promise<BusEndpoint> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socketEndpoint(socket, options));
    });
    socket.once('error', reject);
  });
}

/** Listens on `path`; each accepted connection becomes an endpoint handed to `onConnection`. */
export function listenSocket(
  path: string,
  onConnection: (endpoint: BusEndpoint, socket: Socket) => void,
  options: SocketEndpointOptions = {},
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => onConnection(socketEndpoint(socket, options), socket));
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
