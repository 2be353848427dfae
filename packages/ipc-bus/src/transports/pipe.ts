import type { ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import { SymphonyError } from '@symphony/types';
import { EndpointBase, type BusEndpoint } from '../endpoint.js';

/** Frame header: a 4-byte big-endian body length, then a V8 structured-clone body. */
const HEADER_BYTES = 4;
/** Default cap on one frame: twice the bus's default payload cap, plus room for the envelope. */
export const DEFAULT_PIPE_FRAME_BYTES = 2 * 64 * 1024 * 1024 + 1024 * 1024;

export interface PipeEndpointOptions {
  /**
   * A frame whose header announces more than this closes the endpoint with `E_PAYLOAD_TOO_LARGE`
   * before any of its body is buffered: a peer cannot make this side hold more than the cap.
   */
  maxFrameBytes?: number;
  /** Host side: the child at the other end, so its exit (code, signal) closes the endpoint with them. */
  child?: ChildProcess;
}

/**
 * A child process's channel on an inherited socket pair (fd 3), framed here rather than by Node's
 * IPC: the same structured clone as `serialization: 'advanced'` (Maps, typed arrays, errors,
 * cycles), but the receiving side reads each frame's length first and refuses an oversized one
 * at once, where Node's IPC buffers a message of any size (a forged 1 GiB `process.send`).
 */
export function pipeEndpoint(stream: Duplex, options: PipeEndpointOptions = {}): BusEndpoint {
  return new PipeEndpoint(stream, options.maxFrameBytes ?? DEFAULT_PIPE_FRAME_BYTES, options.child);
}

/** The extension side: the host's end of the pair, inherited as file descriptor `fd`. */
export function inheritedPipeEndpoint(fd: number, options: PipeEndpointOptions = {}): BusEndpoint {
  return pipeEndpoint(new Socket({ fd, readable: true, writable: true }), options);
}

class PipeEndpoint extends EndpointBase implements BusEndpoint {
  readonly transfers = false;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private bodyLength = -1;

  constructor(
    private readonly stream: Duplex,
    private readonly maxFrameBytes: number,
    child?: ChildProcess,
  ) {
    super();
    child?.on('exit', (exitCode, signal) => this.markClosed({ reason: 'exit', exitCode, signal }));
    stream.on('data', (chunk: Buffer) => {
      try {
        this.push(chunk);
      } catch (error) {
        // An oversized or undecodable frame: drop the channel, never the host.
        this.chunks = [];
        this.buffered = 0;
        this.markClosed({ reason: 'error', error: error as Error });
        stream.destroy();
      }
    });
    stream.on('error', (error) => this.markClosed({ reason: 'error', error }));
    stream.on('close', () => this.markClosed({ reason: 'closed' }));
    stream.on('end', () => this.markClosed({ reason: 'closed' }));
  }

  private push(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.bodyLength < 0) {
        if (this.buffered < HEADER_BYTES) return;
        const length = this.take(HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          throw new SymphonyError('E_PAYLOAD_TOO_LARGE', `a frame from the peer announced ${length} bytes, over the ${this.maxFrameBytes}-byte cap`, {
            details: { bytes: length, maxFrameBytes: this.maxFrameBytes },
          });
        }
        this.bodyLength = length;
      }
      if (this.buffered < this.bodyLength) return;
      const body = this.take(this.bodyLength);
      this.bodyLength = -1;
      let value: unknown;
      try {
        value = deserialize(body);
      } catch (cause) {
        throw new SymphonyError('E_PROTOCOL', `a frame from the peer could not be decoded: ${(cause as Error).message}`, { details: { bytes: body.length }, cause });
      }
      this.dispatch(value);
      if (this.closed) return;
    }
  }

  /** Removes the first `n` buffered bytes (n <= buffered), copying only when a frame spans chunks. */
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

  postMessage(message: unknown): void {
    if (this.closed || this.stream.destroyed) return;
    const body = serialize(message);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE(body.length, 0);
    this.stream.write(Buffer.concat([header, body], HEADER_BYTES + body.length));
  }

  close(): void {
    this.markClosed({ reason: 'closed' });
    this.stream.end();
  }
}
