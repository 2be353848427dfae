import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, symphony } from './cli-harness.js';

const ENGINE = join(FIXTURES, 'engine');
const work = mkdtempSync(join(tmpdir(), 'symphony-engine-'));
// Homes live outside the workspace (the current directory), as the CLI requires.
const homes = mkdtempSync(join(tmpdir(), 'symphony-engine-homes-'));
afterAll(() => process.env.KEEP_WORK || [work, homes].forEach((d) => rmSync(d, { recursive: true, force: true })));
let n = 0;
const freshHome = () => join(homes, `home-${++n}`);
const result = (lines: Record<string, unknown>[]) => lines.find((l) => l.type === 'result') as Record<string, any> | undefined;
const execs = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);

function hasBwrap(): boolean {
  try {
    execFileSync('bwrap', ['--bind', '/', '/', '--dev', '/dev', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const bwrap = hasBwrap();

describe('symphony run: the process ends only when the run ends', () => {
  it('an extension that always exits, with retry 5: six attempts on a restarted extension, then exit 1 and failed (never 0)', async () => {
    const home = freshHome();
    const run = await symphony(['run', join(ENGINE, 'always-exit.yaml'), '--json', '--home', home], { cwd: work });
    expect(run.code).toBe(1);
    const r = result(run.lines);
    expect(r?.status).toBe('failed');
    expect(r?.steps[0]).toMatchObject({ stepId: 'boom', state: 'failed', attempts: 6, error: { code: 'E_EXTENSION_CRASHED' } });
    const show = await symphony(['runs', 'show', r!.runId, '--json', '--home', home], { cwd: work });
    expect(JSON.parse(show.stdout).run.status).toBe('failed');
  });
});

describe('a step that kills its host is the one blamed', () => {
  it('k SIGKILLs the host right after its parent a returned: a ends done, k fails E_INTERRUPTED, never the other way round', async () => {
    const home = freshHome();
    const first = await symphony(['run', join(ENGINE, 'hostkill.yaml'), '--json', '--home', home], { cwd: work });
    expect(first.signal).toBe('SIGKILL');
    const list = await symphony(['runs', 'list', '--json', '--home', home], { cwd: work });
    const runId = (JSON.parse(list.stdout) as Array<{ runId: string }>)[0]!.runId;
    let last = first;
    // Bounded: at most one uncharged crash plus maxInterruptions (3) charged ones, then the run ends.
    for (let i = 0; i < 8 && last.signal === 'SIGKILL'; i++) last = await symphony(['run', '--resume', runId, '--json', '--home', home], { cwd: work });
    expect(last.code).toBe(1);
    const show = JSON.parse((await symphony(['runs', 'show', runId, '--json', '--home', home], { cwd: work })).stdout);
    expect(show.run).toMatchObject({ status: 'failed', error: { code: 'E_INTERRUPTED', stepId: 'k' } });
    const a = show.steps.find((s: { stepId: string }) => s.stepId === 'a');
    const k = show.steps.find((s: { stepId: string }) => s.stepId === 'k');
    expect(a).toMatchObject({ state: 'done' });
    expect(a.interruptions ?? 0).toBe(0);
    expect(k).toMatchObject({ state: 'failed', interruptions: 4, error: { code: 'E_INTERRUPTED' } });
  });

  it('run --resume in a home that does not exist is E_NOT_FOUND and creates nothing', async () => {
    const home = freshHome();
    const res = await symphony(['run', '--resume', 'nope', '--json', '--home', home], { cwd: work });
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toContain('E_NOT_FOUND');
    expect(existsSync(home)).toBe(false);
  });

  it('runs list/show/explain and artifacts list/get in a home that does not exist create nothing: empty lists, E_NOT_FOUND for one thing', async () => {
    const home = freshHome();
    const list = await symphony(['runs', 'list', '--home', home], { cwd: work });
    expect(list.code).toBe(0);
    expect(list.stderr).toContain('does not exist');
    const json = await symphony(['runs', 'list', '--json', '--home', home], { cwd: work });
    expect([json.code, JSON.parse(json.stdout)]).toEqual([0, []]);
    // SYMPHONY_HOME (no flag) is honoured the same way.
    const viaEnv = await symphony(['artifacts', 'list', '--json'], { cwd: work, env: { SYMPHONY_HOME: home } });
    expect([viaEnv.code, JSON.parse(viaEnv.stdout)]).toEqual([0, []]);
    for (const args of [['runs', 'show', 'r1'], ['runs', 'explain', 'r1'], ['artifacts', 'get', 'hotspots/report']]) {
      const res = await symphony([...args, '--home', home], { cwd: work });
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr).toMatch(/E_NOT_FOUND/);
      expect(res.stderr).toContain('that home does not exist');
    }
    // A usage error stays a usage error (exit 2) before the home is looked at.
    expect((await symphony(['runs', 'show', '--home', home], { cwd: work })).code).toBe(2);
    expect(existsSync(home)).toBe(false);
    // A folder that exists but holds no store (a typo'd --home, a fresh SYMPHONY_HOME) gets no store either.
    mkdirSync(home);
    const inFolder = await symphony(['runs', 'list', '--home', home], { cwd: work });
    expect([inFolder.code, inFolder.stderr]).toEqual([0, expect.stringContaining('holds no store yet')]);
    expect((await symphony(['artifacts', 'get', 'x', '--home', home], { cwd: work })).code).toBe(1);
    expect((await symphony(['run', '--resume', 'r1', '--home', home], { cwd: work })).stderr).toContain('holds no store yet');
    expect(readdirSync(home)).toEqual([]);
  });
});

describe('one driver per run (the lease)', () => {
  it('a resume while the original lives is refused with E_RUN_LOCKED naming the holder; the original finishes alone', async () => {
    const home = freshHome();
    const log = join(work, `log-${n}`);
    const gate = join(work, `gate-${n}`);
    let resumed: Promise<Awaited<ReturnType<typeof symphony>>> | undefined;
    const original = await symphony(['run', join(ENGINE, 'gated.yaml'), '--json', '--home', home], {
      cwd: work,
      env: { ENGINE_LOG: log, ENGINE_GATE: gate },
      onLine: (line) => {
        // Step b waits at the gate until the second driver has been refused.
        if (line.event === 'step:end' && line.stepId === 'a' && !resumed) {
          resumed = symphony(['run', '--resume', String(line.runId), '--json', '--home', home], { cwd: work, env: { ENGINE_LOG: log } }).finally(() => writeFileSync(gate, ''));
        }
      },
    });
    const second = await resumed!;
    expect(original.code).toBe(0);
    expect(result(original.lines)?.status).toBe('succeeded');
    expect(second.code).toBe(1);
    const refused = result(second.lines);
    expect(refused?.error).toMatchObject({ code: 'E_RUN_LOCKED', details: { pid: expect.any(Number), host: expect.any(String), since: expect.any(Number) } });
    // Nothing ran twice.
    expect(execs(log).sort()).toEqual(['exec a', 'exec b', 'exec c']);
  });

  it('two concurrent resumes of a crashed run: one drives it to the end, the other is refused; no acknowledged step re-runs', async () => {
    const home = freshHome();
    const log = join(work, `log-${n}`);
    let runId = '';
    const acknowledged: string[] = [];
    const killed = await symphony(['run', join(ENGINE, 'slow-chain.yaml'), '--json', '--home', home], {
      cwd: work,
      env: { ENGINE_LOG: log },
      onLine: (line, child) => {
        runId = String(line.runId ?? runId);
        if (line.event === 'step:end') acknowledged.push(String(line.stepId));
        if (line.event === 'step:start' && line.stepId === 'b') child.kill('SIGKILL');
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const [one, two] = await Promise.all([0, 1].map(() => symphony(['run', '--resume', runId, '--json', '--home', home], { cwd: work, env: { ENGINE_LOG: log } })));
    const codes = [one!.code, two!.code].sort();
    expect(codes).toEqual([0, 1]);
    const loser = [one!, two!].find((r) => r.code === 1)!;
    expect(result(loser.lines)?.error?.code).toBe('E_RUN_LOCKED');
    const winner = [one!, two!].find((r) => r.code === 0)!;
    expect(result(winner.lines)?.status).toBe('succeeded');
    // Acknowledged steps ran exactly once; the step cut off by the kill ran again at most once.
    const ran = execs(log);
    for (const id of acknowledged) expect(ran.filter((l) => l === `exec ${id}`)).toHaveLength(1);
    expect(ran.filter((l) => l === 'exec b').length).toBeLessThanOrEqual(2);
    expect(ran.filter((l) => l === 'exec d')).toHaveLength(1);
  });
});

describe('storage faults', () => {
  it('a flipped byte in a run record or a step record is E_LEDGER_CORRUPT, never a wrong answer', async () => {
    const home = freshHome();
    const run = await symphony(['run', join(ENGINE, 'slow-chain.yaml'), '--json', '--home', home], { cwd: work });
    const runId = result(run.lines)!.runId as string;
    const file = join(home, 'ledger', 'data.mdb');
    const flip = (needle: string, replacement: string) => {
      const bytes = readFileSync(file);
      let at = bytes.indexOf(needle);
      expect(at).toBeGreaterThanOrEqual(0);
      for (; at >= 0; at = bytes.indexOf(needle, at + 1)) bytes.write(replacement, at);
      writeFileSync(file, bytes);
    };
    // A step record: "done" becomes "dome".
    flip('"status":"done"', '"status":"dome"');
    const step = await symphony(['runs', 'show', runId, '--json', '--home', home], { cwd: work });
    expect(step.code).toBe(1);
    expect(step.stdout + step.stderr).toContain('E_LEDGER_CORRUPT');
    expect(step.stdout).not.toContain('dome');
    // The run record: "succeeded" becomes ")ucceeded".
    flip('"status":"succeeded"', '"status":")ucceeded"');
    for (const args of [['runs', 'show', runId], ['runs', 'list']]) {
      const shown = await symphony([...args, '--json', '--home', home], { cwd: work });
      expect(shown.code).toBe(1);
      expect(shown.stdout + shown.stderr).toContain('E_LEDGER_CORRUPT');
      expect(shown.stdout + shown.stderr).toContain(join(home, 'ledger'));
      expect(shown.stdout).not.toContain('ucceeded');
    }
  });

  it.skipIf(!bwrap)('a read-only store opens read-only for runs, explain and artifacts', async () => {
    const home = freshHome();
    const run = await symphony(['run', join(ENGINE, 'slow-chain.yaml'), '--json', '--home', home], { cwd: work });
    const runId = result(run.lines)!.runId as string;
    const ro = (args: string[]) =>
      spawnSync('bwrap', ['--bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--ro-bind', home, home, process.execPath, CLI, ...args, '--json', '--home', home], { cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const list = ro(['runs', 'list']);
    expect(list.status, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).map((r: { runId: string }) => r.runId)).toContain(runId);
    const show = ro(['runs', 'show', runId]);
    expect(show.status, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout).run.status).toBe('succeeded');
    expect(ro(['runs', 'explain', runId]).status).toBe(0);
    const artifacts = ro(['artifacts', 'list']);
    expect(artifacts.status, artifacts.stderr).toBe(0);
    expect(JSON.parse(artifacts.stdout).map((a: { name: string }) => a.name)).toContain('slow-chain/d');
  });

  it.skipIf(!bwrap)('disk full on a small tmpfs: E_LEDGER_FULL naming the path, exit 1, no stack; the run resumes once space is freed', () => {
    const home = join(work, 'full-home');
    const wf = join(work, 'big.yaml');
    // The workflow's extensions sit beside it.
    if (!existsSync(join(work, 'extensions'))) symlinkSync(join(ENGINE, 'extensions'), join(work, 'extensions'));
    writeFileSync(wf, ['name: big', 'steps:', ...Array.from({ length: 30 }, (_, i) => `  - { id: s${i}, uses: test.engine/step, with: { id: s${i}, size: 50000 }${i ? `, needs: [s${i - 1}]` : ''} }`)].join('\n'));
    // Inside one sandbox: a 4 MiB tmpfs as the home, a filler file leaving ~1 MiB for 1.5 MB of outputs; run (fills the
    // disk), free the filler, resume.
    const script = [
      `dd if=/dev/zero of=${home}/filler bs=1M count=3 status=none`,
      `node ${CLI} run ${wf} --json --home ${home} > ${work}/full-1.out 2> ${work}/full-1.err; echo $? > ${work}/full-1.code`,
      `rm ${home}/filler`,
      `RUN=$(node -e "const l=require('fs').readFileSync('${work}/full-1.out','utf8').trim().split('\\\\n').map(JSON.parse).find(x=>x.type==='result');process.stdout.write(l.runId)")`,
      `node ${CLI} run --resume $RUN --json --home ${home} > ${work}/full-2.out 2> ${work}/full-2.err; echo $? > ${work}/full-2.code`,
    ].join(' && ');
    execFileSync('mkdir', ['-p', home]);
    const sandbox = spawnSync('bwrap', ['--bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--size', String(4 * 1024 * 1024), '--tmpfs', home, 'sh', '-c', script], {
      cwd: ENGINE,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(sandbox.status, sandbox.stderr).toBe(0);
    expect(readFileSync(join(work, 'full-1.code'), 'utf8').trim()).toBe('1');
    const first = readFileSync(join(work, 'full-1.out'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.type === 'result');
    expect(first).toMatchObject({ status: 'running', error: { code: 'E_LEDGER_FULL', details: { path: join(home, 'ledger') } } });
    // An orderly stop, not a crash (no uncaught error; lmdb itself still prints the I/O error it saw).
    expect(readFileSync(join(work, 'full-1.err'), 'utf8')).not.toMatch(/Node\.js v\d|Unhandled|uncaught/i);
    expect(readFileSync(join(work, 'full-2.code'), 'utf8').trim()).toBe('0');
    const second = readFileSync(join(work, 'full-2.out'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.type === 'result');
    expect(second.status).toBe('succeeded');
  });
});
