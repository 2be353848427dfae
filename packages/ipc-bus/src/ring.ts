import { Packr } from 'msgpackr';
import { SymphonyError } from '@symphony/types';

/**
 * A single-producer single-consumer ring of length-prefixed byte messages in a SharedArrayBuffer,
 * for high-frequency streams between host and extension (token streams, progress, samples). No
 * postMessage and no event loop hop: the reader wakes through `Atomics.wait`/`waitAsync`.
 * Share it by sending `ring.buffer` to a worker (processes cannot share memory).
 */
const WRITE = 0; // byte offset the producer writes next
const READ = 1; // byte offset the consumer reads next
const WRITTEN = 2; // bumped after every write: the consumer waits on it
const CONSUMED = 3; // bumped after every read: a blocked producer waits on it
const READER_SLEEPING = 4; // set while the consumer is in Atomics.wait: only then is a notify needed
const WRITER_SLEEPING = 5;
const HEADER_BYTES = 32;
const LENGTH_BYTES = 4;

export class Ring {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  private readonly state: Int32Array;
  private readonly data: Uint8Array;
  private readonly view: DataView;

  /** A new ring of `capacity` bytes, or a view on a ring another thread created. */
  constructor(capacityOrBuffer: number | SharedArrayBuffer) {
    this.buffer = typeof capacityOrBuffer === 'number' ? new SharedArrayBuffer(HEADER_BYTES + capacityOrBuffer) : capacityOrBuffer;
    this.capacity = this.buffer.byteLength - HEADER_BYTES;
    this.state = new Int32Array(this.buffer, 0, 8);
    this.data = new Uint8Array(this.buffer, HEADER_BYTES, this.capacity);
    this.view = new DataView(this.buffer, HEADER_BYTES, this.capacity);
  }

  /** Bytes free for the producer (one byte stays empty to tell full from empty). */
  get free(): number {
    const w = Atomics.load(this.state, WRITE);
    const r = Atomics.load(this.state, READ);
    return (r - w - 1 + this.capacity) % this.capacity;
  }

  /** Writes one message; false if the ring has no room now (the producer decides: drop or wait). */
  tryWrite(bytes: Uint8Array): boolean {
    const need = LENGTH_BYTES + bytes.byteLength;
    if (need > this.capacity - 1) {
      throw new SymphonyError('E_PAYLOAD_TOO_LARGE', `a ${bytes.byteLength}-byte message cannot fit a ${this.capacity}-byte ring`, {
        details: { bytes: bytes.byteLength, capacity: this.capacity },
      });
    }
    if (need > this.free) return false;
    let w = Atomics.load(this.state, WRITE);
    if (w + LENGTH_BYTES <= this.capacity) {
      this.view.setUint32(w, bytes.byteLength);
      w = (w + LENGTH_BYTES) % this.capacity;
    } else {
      w = this.put(w, lengthBytes(bytes.byteLength));
    }
    w = this.put(w, bytes);
    Atomics.store(this.state, WRITE, w);
    Atomics.add(this.state, WRITTEN, 1);
    // A notify costs about a µs; skip it unless the reader is asleep (see read()).
    if (Atomics.load(this.state, READER_SLEEPING) !== 0) Atomics.notify(this.state, WRITTEN);
    return true;
  }

  /** Writes one message, blocking the thread up to `timeoutMs` for room. */
  write(bytes: Uint8Array, timeoutMs = Infinity): boolean {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.state, CONSUMED);
      if (this.tryWrite(bytes)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.store(this.state, WRITER_SLEEPING, 1);
      Atomics.wait(this.state, CONSUMED, seen, left);
      Atomics.store(this.state, WRITER_SLEEPING, 0);
    }
  }

  /** Reads one message, or `undefined` if the ring is empty. */
  tryRead(): Uint8Array | undefined {
    let r = Atomics.load(this.state, READ);
    if (r === Atomics.load(this.state, WRITE)) return undefined;
    if (r + LENGTH_BYTES > this.capacity) {
      // The length itself wrapped around: read it byte by byte.
      const head = new Uint8Array(LENGTH_BYTES);
      for (let i = 0; i < LENGTH_BYTES; i++) head[i] = this.data[(r + i) % this.capacity]!;
      return this.finishRead(r, new DataView(head.buffer).getUint32(0));
    }
    return this.finishRead(r, this.view.getUint32(r));
  }

  /**
   * Reads one message, blocking the thread (`Atomics.wait`) up to `timeoutMs`. With `spin`, it
   * first polls that many times: a reply that comes within a few µs then skips the sleep and
   * wake-up, which is most of a round trip; leave it 0 when cores are scarce.
   */
  read(timeoutMs = Infinity, spin = 0): Uint8Array | undefined {
    for (let i = 0; i < spin; i++) {
      if (Atomics.load(this.state, READ) !== Atomics.load(this.state, WRITE)) return this.tryRead();
    }
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.state, WRITTEN);
      const message = this.tryRead();
      if (message) return message;
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      // Raise the flag before sleeping: a write after this sees it and notifies; a write before
      // it changed WRITTEN, so the wait returns at once. Nothing is missed either way.
      Atomics.store(this.state, READER_SLEEPING, 1);
      Atomics.wait(this.state, WRITTEN, seen, left);
      Atomics.store(this.state, READER_SLEEPING, 0);
    }
  }

  /** Reads one message without blocking the event loop (`Atomics.waitAsync`). */
  async readAsync(timeoutMs = Infinity): Promise<Uint8Array | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.state, WRITTEN);
      const message = this.tryRead();
      if (message) return message;
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      Atomics.store(this.state, READER_SLEEPING, 1);
      const waited = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.state, WRITTEN, seen, Number.isFinite(left) ? left : undefined);
      if (waited.async) await waited.value;
      Atomics.store(this.state, READER_SLEEPING, 0);
    }
  }

  private finishRead(r: number, length: number): Uint8Array {
    const start = (r + LENGTH_BYTES) % this.capacity;
    const out = new Uint8Array(length);
    const first = Math.min(length, this.capacity - start);
    out.set(this.data.subarray(start, start + first), 0);
    if (first < length) out.set(this.data.subarray(0, length - first), first);
    Atomics.store(this.state, READ, (start + length) % this.capacity);
    Atomics.add(this.state, CONSUMED, 1);
    if (Atomics.load(this.state, WRITER_SLEEPING) !== 0) Atomics.notify(this.state, CONSUMED);
    return out;
  }

  private put(at: number, bytes: Uint8Array): number {
    const first = Math.min(bytes.byteLength, this.capacity - at);
    this.data.set(bytes.subarray(0, first), at);
    if (first < bytes.byteLength) this.data.set(bytes.subarray(first), 0);
    return (at + bytes.byteLength) % this.capacity;
  }
}

function lengthBytes(length: number): Uint8Array {
  const out = new Uint8Array(LENGTH_BYTES);
  new DataView(out.buffer).setUint32(0, length);
  return out;
}

const packr = new Packr({ useRecords: false });

/** A ring that carries msgpack values instead of bytes. */
export class RingChannel<T = unknown> {
  readonly ring: Ring;

  constructor(capacityOrBuffer: number | SharedArrayBuffer) {
    this.ring = new Ring(capacityOrBuffer);
  }

  get buffer(): SharedArrayBuffer {
    return this.ring.buffer;
  }

  trySend(value: T): boolean {
    return this.ring.tryWrite(packr.pack(value));
  }

  send(value: T, timeoutMs?: number): boolean {
    return this.ring.write(packr.pack(value), timeoutMs);
  }

  tryReceive(): T | undefined {
    const bytes = this.ring.tryRead();
    return bytes ? (packr.unpack(bytes) as T) : undefined;
  }

  receive(timeoutMs?: number, spin?: number): T | undefined {
    const bytes = this.ring.read(timeoutMs, spin);
    return bytes ? (packr.unpack(bytes) as T) : undefined;
  }

  async receiveAsync(timeoutMs?: number): Promise<T | undefined> {
    const bytes = await this.ring.readAsync(timeoutMs);
    return bytes ? (packr.unpack(bytes) as T) : undefined;
  }
}

// Node 20 has Atomics.waitAsync; the ES2023 lib this repo compiles against does not declare it.
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number, timeout?: number): { async: boolean; value: Promise<string> | string };
}
