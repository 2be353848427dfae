import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';

export interface LoggedEvent {
  seq: number;
  type: string;
  data: unknown;
}

/**
 * Every run's events with a sequence number, appended to `<dir>/<runId>.ndjson`, so a client
 * that reconnects (even to a restarted server) asks for "everything after seq n" and misses
 * nothing. Run ids are validated before they become file names.
 *
 * Each line is `<crc32 of the JSON, 8 hex digits> <JSON>`. On open, a torn or damaged tail (a
 * crash in the middle of a write) is cut off at the last whole record, so the next append starts
 * on a clean line; an event is emitted only after its line is written, so the cut-off one never
 * reached a client and the numbering stays gapless. Sequence numbers only grow.
 */
export class EventLog extends EventEmitter {
  private cache = new Map<string, LoggedEvent[]>();

  constructor(private readonly dir: string) {
    super();
    this.setMaxListeners(0);
    mkdirSync(dir, { recursive: true });
  }

  static isRunId(runId: string): boolean {
    return /^[A-Za-z0-9_-]{1,128}$/.test(runId);
  }

  append(runId: string, type: string, data: unknown): LoggedEvent {
    const events = this.load(runId);
    const event = { seq: (events.at(-1)?.seq ?? 0) + 1, type, data };
    const json = JSON.stringify(event);
    try {
      appendFileSync(this.file(runId), `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`);
    } catch (err) {
      // A failed write (disk full) may leave part of the line: forget the run, so the next append
      // reloads it and cuts that torn tail first instead of gluing its record onto it.
      this.cache.delete(runId);
      throw err;
    }
    events.push(event);
    this.emit(runId, event);
    return event;
  }

  since(runId: string, after: number): LoggedEvent[] {
    const events = this.load(runId);
    // Numbering is gapless from 1, but search rather than index: a log damaged in the middle
    // keeps its later records under their own numbers.
    const from = events.findIndex((e) => e.seq > after);
    return from < 0 ? [] : events.slice(from);
  }

  private load(runId: string): LoggedEvent[] {
    if (!EventLog.isRunId(runId)) throw new Error(`invalid run id ${JSON.stringify(runId)}`);
    let events = this.cache.get(runId);
    if (events) return events;
    events = [];
    const file = this.file(runId);
    if (existsSync(file)) {
      const bytes = readFileSync(file);
      let offset = 0;
      let validEnd = 0;
      while (offset < bytes.length) {
        const nl = bytes.indexOf(10, offset);
        const end = nl < 0 ? bytes.length : nl;
        const event = nl < 0 ? undefined : parseLine(bytes.subarray(offset, end).toString('utf8'));
        if (event && event.seq > (events.at(-1)?.seq ?? 0)) {
          events.push(event);
          validEnd = end + 1;
        }
        offset = end + 1;
      }
      // A torn or damaged tail: cut it off so the next record starts on its own line.
      if (validEnd < bytes.length) truncateSync(file, validEnd);
    }
    if (this.cache.size > 1000) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(runId, events);
    return events;
  }

  private file(runId: string): string {
    return join(this.dir, `${runId}.ndjson`);
  }
}

/** One record, or undefined when its checksum (or its JSON) does not hold. Lines without a checksum are an older format. */
function parseLine(line: string): LoggedEvent | undefined {
  let json = line;
  if (/^[0-9a-f]{8} /.test(line)) {
    json = line.slice(9);
    if (crc32(json) !== parseInt(line.slice(0, 8), 16)) return undefined;
  } else if (!line.startsWith('{')) return undefined;
  try {
    const event = JSON.parse(json) as LoggedEvent;
    return Number.isInteger(event.seq) && typeof event.type === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}

