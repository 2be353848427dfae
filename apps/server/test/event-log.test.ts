import { execFileSync, spawnSync } from 'node:child_process';
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

function hasBwrap(): boolean {
  try {
    execFileSync('bwrap', ['--bind', '/', '/', '--dev', '/dev', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// An outsider's attack (issue 14): the disk fills while the server appends. A failed write leaves
// part of its line; the next append (after space was freed) was glued onto it, so that event,
// already sent to clients, vanished on the next reload.
describe('EventLog on a full disk', () => {
  it.skipIf(!hasBwrap())('a write cut short by ENOSPC does not swallow the next record once space is freed', () => {
    const dir = tempDir();
    const script = join(dir, 'fill.mjs');
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const disk = join(dir, 'disk');
    writeFileSync(
      script,
      `import { EventLog } from ${JSON.stringify(dist)};
import { rmSync, writeFileSync } from 'node:fs';
const disk = ${JSON.stringify(disk)};
writeFileSync(disk + '/filler', Buffer.alloc(1024 * 1024 - 6000));
const log = new EventLog(disk + '/events');
const codes = [];
for (let i = 0; i < 20; i++) {
  try { log.append('run-x', 'step:end', { i, pad: 'p'.repeat(1500) }); } catch (e) { codes.push(e.code); }
}
rmSync(disk + '/filler');
const last = log.append('run-x', 'run:end', { last: true });
const reloaded = new EventLog(disk + '/events').since('run-x', 0);
process.stdout.write(JSON.stringify({ codes, last: last.seq, reloaded: reloaded.map((e) => [e.seq, e.type]) }));
`,
    );
    execFileSync('mkdir', ['-p', disk]);
    const out = spawnSync('bwrap', ['--bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--size', String(1024 * 1024), '--tmpfs', disk, process.execPath, script], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const { codes, last, reloaded } = JSON.parse(out.stdout) as { codes: string[]; last: number; reloaded: [number, string][] };
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.every((c) => c === 'ENOSPC')).toBe(true);
    // Every record the log accepted is there after a reload, the last one included, numbered without gaps.
    expect(reloaded.map(([seq]) => seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(reloaded.at(-1)).toEqual([last, 'run:end']);
  });
});
