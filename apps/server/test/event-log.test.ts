import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../src/event-log.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'server-events-'));
  dirs.push(d);
  return d;
};

describe('EventLog: durable and gapless through torn writes', () => {
  it('cuts a torn last line on open, so the next append is whole and nothing after it is lost', () => {
    const dir = tempDir();
    const log = new EventLog(dir);
    for (let i = 0; i < 3; i++) log.append('run-1', 'step:end', { i });
    // A crash in the middle of the fourth write: half a line, no newline.
    const file = join(dir, 'run-1.ndjson');
    const whole = readFileSync(file, 'utf8');
    appendFileSync(file, whole.split('\n')[0]!.slice(0, 20));

    const reopened = new EventLog(dir);
    expect(reopened.since('run-1', 0).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(reopened.append('run-1', 'step:end', { i: 3 }).seq).toBe(4);
    expect(reopened.append('run-1', 'run:end', {}).seq).toBe(5);
    // A third process sees every record: the appends were not glued onto the torn bytes.
    const third = new EventLog(dir);
    expect(third.since('run-1', 0).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(third.since('run-1', 3).map((e) => e.type)).toEqual(['step:end', 'run:end']);
  });

  it('refuses a record whose bytes were damaged and never reuses a sequence number after it', () => {
    const dir = tempDir();
    const log = new EventLog(dir);
    for (let i = 0; i < 4; i++) log.append('run-2', 'step:end', { value: `v${i}` });
    const file = join(dir, 'run-2.ndjson');
    const lines = readFileSync(file, 'utf8').split('\n');
    // Flip one character inside the second record's JSON (checksum no longer matches).
    lines[1] = lines[1]!.replace('v1', 'v9');
    writeFileSync(file, lines.join('\n'));
    const reopened = new EventLog(dir);
    const seen = reopened.since('run-2', 0);
    expect(seen.map((e) => e.seq)).toEqual([1, 3, 4]);
    expect(seen.some((e) => JSON.stringify(e.data).includes('v9'))).toBe(false);
    expect(reopened.append('run-2', 'run:end', {}).seq).toBe(5);
  });
});
