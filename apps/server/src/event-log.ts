import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
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
    const event = { seq: events.length + 1, type, data };
    appendFileSync(this.file(runId), JSON.stringify(event) + '\n');
    events.push(event);
    this.emit(runId, event);
    return event;
  }

  since(runId: string, after: number): LoggedEvent[] {
    return this.load(runId).slice(Math.max(0, after));
  }

  private load(runId: string): LoggedEvent[] {
    if (!EventLog.isRunId(runId)) throw new Error(`invalid run id ${JSON.stringify(runId)}`);
    let events = this.cache.get(runId);
    if (events) return events;
    events = [];
    const file = this.file(runId);
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          events.push(JSON.parse(line));
        } catch {
          break; // a torn last line after a crash: everything before it stands
        }
      }
    }
    if (this.cache.size > 1000) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(runId, events);
    return events;
  }

  private file(runId: string): string {
    return join(this.dir, `${runId}.ndjson`);
  }
}
