import { dirname, join, resolve } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { RunResult } from '@symphony/conductor';
import { defaultHome } from '@symphony/config/home';
import { SymphonyError, toSymphonyError, type SymphonyEvents } from '@symphony/types/core';
import { openKernel, scaleOutCatalog } from '../kernel.js';
import { c, ms, table } from '../term.js';
import { RunView } from '../run-view.js';
import { disarmEarlySigterm } from '../early-sigterm.js';

/** What a run interrupted by SIGTERM waits on: its exit (143) comes from the signal handler. */
const TERMINATING = new Promise<never>(() => {});

export interface CommonValues {
  json?: boolean;
  input?: string[];
  resume?: string;
  rerun?: string;
  from?: string;
  home?: string;
  out?: string;
}

const RUN_EVENTS = ['run:start', 'step:ready', 'step:start', 'step:progress', 'step:retry', 'step:end', 'step:fail', 'run:end'] as const;

export async function runCli(command: string, positionals: string[], values: CommonValues): Promise<number> {
  const home = defaultHome({ flag: values.home });
  // Arguments a command does not take are usage errors, not silently dropped (`run a.yaml b.yaml` ran only a.yaml).
  const sub = positionals[0] ?? 'list';
  const takes = command === 'run' ? 1 : command === 'runs' ? (sub === 'list' ? 1 : 2) : command === 'artifacts' ? 2 : Infinity;
  if (positionals.length > takes) {
    const extra = positionals.slice(takes);
    throw new SymphonyError('E_USAGE', `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `"${a}"`).join(' ')} for "symphony ${command}${command === 'run' ? '' : ` ${sub}`}" (try "symphony ${command} --help")`, { details: { command, extra } });
  }
  switch (command) {
    case 'run':
      return runWorkflow(positionals[0], values, home);
    case 'runs':
      return runsCommand(positionals, values, home);
    case 'artifacts':
      return artifactsCommand(positionals, values, home);
    default:
      throw new SymphonyError('E_USAGE', `unknown command "${command}" (try "symphony --help")`, { details: { command } });
  }
}

function parseInputs(pairs: string[] = []): Record<string, string> {
  // No prototype: `--input __proto__=x` is an input name like any other (refused when undeclared), not silently dropped.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SymphonyError('E_USAGE', `--input "${pair}" must look like name=value`, { details: { input: pair } });
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

async function runWorkflow(file: string | undefined, values: CommonValues, home: string): Promise<number> {
  if ([file, values.resume, values.rerun].filter(Boolean).length !== 1 || (values.from !== undefined && !values.rerun)) {
    throw new SymphonyError('E_USAGE', 'usage: symphony run <workflow.yaml> [--input k=v] | --resume <runId> | --rerun <runId> [--from failed|all|<step>]  [--json]');
  }
  // SIGTERM (a supervisor, a CI runner or a shutdown stopping the process) leaves the run as a
  // crash would: durable and resumable, never cancelled. The summary says so, and the exit code
  // is the signal's (143), from the first moment on: before the run exists (nothing to resume),
  // while it runs, and after it ended (the summary is printed, then 143). Never killed by the signal.
  let phase: 'starting' | 'running' | 'ended' = 'starting';
  let open: Awaited<ReturnType<typeof openKernel>> | undefined;
  let view: RunView | undefined;
  let current: string | undefined;
  let listeners: (() => void)[] = [];
  let terminating = false;
  let lateSigterm = false;
  const json = values.json === true;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    // The result is the last line: acknowledgements that landed while the store settled were
    // printed before it, nothing comes after it.
    listeners.forEach((off) => off());
    let exists = false;
    let status: string | undefined;
    try {
      // Before the store is open, a resumed run is as it was: `running`, resumable.
      const record = current && open ? open.dag.record(current) : undefined;
      exists = open ? record !== undefined : current !== undefined;
      status = record?.status;
    } catch {
      exists = true; // a damaged record still names a run
    }
    const running = exists && (status === undefined || status === 'running');
    const hint = running ? `symphony run --resume ${current}${values.home ? ` --home ${values.home}` : ''}` : '';
    if (json) process.stdout.write(JSON.stringify({ type: 'result', runId: exists ? current : null, status: exists ? (status ?? 'running') : null, interrupted: 'SIGTERM', store: resolve(home) }) + '\n');
    else if (!exists) process.stdout.write(`${c.red('✖')} interrupted by SIGTERM before a run was created: nothing to resume\n`);
    else if (!running) process.stdout.write(`${c.red('✖')} run ${current} interrupted by SIGTERM as it ended: it ${status}, nothing to resume (symphony runs show ${current}${values.home ? ` --home ${values.home}` : ''})\n`);
    else process.stdout.write(`${c.red('✖')} run ${current} interrupted by SIGTERM: it stays \`running\` in ${resolve(home)}; resume it with: ${hint}\n`);
    process.exit(143);
  };
  // A store being opened may be writing: the process never exits in the middle of an lmdb write
  // (process.exit then waits forever on lmdb's write thread, which waits on this thread).
  let opening: Promise<unknown> | undefined;
  const terminate = () => {
    view?.stop();
    if (!open) {
      if (!opening) return finish();
      // At most 3 s, as for a store that does not settle: a store that never opens never holds the process.
      const fallback = setTimeout(finish, 3_000);
      const next = (then: () => void) => () => (clearTimeout(fallback), then());
      void opening.then(next(terminate), next(finish));
      return;
    }
    // The engine stops driving the run first (nothing more is written for it, its lease is
    // dropped so a resume starts at once), then the store's writes settle: exiting while its
    // write thread commits could end the process by a signal rather than 143. A store that does
    // not settle within 3 s is left as a crash would leave it (the ledger is crash-safe).
    try {
      open.dag.close();
    } catch {
      // already closed
    }
    const ledger = open.symphony.ledger;
    void Promise.race([ledger.flushed().catch(() => {}), new Promise((r) => setTimeout(r, 3_000).unref())]).then(finish);
  };
  // One after the run ended lets the summary finish, then the process exits 143.
  const onSigterm = () => {
    if (phase === 'ended') {
      lateSigterm = true;
      process.exitCode = 143;
      // Should anything keep the process alive after its run (a stuck extension), the signal
      // still ends it, with 143.
      setTimeout(() => process.exit(143), 3_000).unref();
      return;
    }
    // A second one changes nothing: exiting at once, while a commit is in flight, hung the
    // process for good (lmdb's write thread waits on this one); it exits once the store settles.
    if (terminating) return;
    terminating = true;
    terminate();
  };
  process.on('SIGTERM', onSigterm);
  disarmEarlySigterm();
  current = values.resume;
  const stored = values.resume ?? values.rerun;
  let workflowPath = file ? resolve(file) : undefined;
  if (!file && stored) {
    opening = storedSource(home, stored);
    workflowPath = (await opening) as string | undefined;
    opening = undefined;
  }
  // A workflow's own extensions live beside it, in `extensions/`.
  const extensionDirs = workflowPath ? [join(dirname(workflowPath), 'extensions')] : [];
  // The whole workflow is validated, every `uses:` against the extensions this run would load (read
  // from their manifests), before anything opens: E_WORKFLOW_INVALID with file:line:col, and no
  // store, home or run record is created.
  // `run` only: the Conductor (and onnxruntime) is not loaded for `runs`/`artifacts` inspection.
  const [{ loadWorkflow, resolveInputs }, { installedExtensions }] = await Promise.all([import('@symphony/conductor'), import('@symphony/runtime')]);
  const workflow = file && workflowPath ? await loadWorkflow(workflowPath, { file, extensions: [...(await installedExtensions({ home, extensions: extensionDirs })), ...(await scaleOutCatalog())] }) : undefined;
  // Bad inputs fail before anything starts.
  const inputs = workflow ? resolveInputs(workflow, parseInputs(values.input)) : {};
  // Until the run has ended and succeeded, this process has failed: if anything lets the event
  // loop drain mid-run, it must not exit 0.
  process.exitCode = 1;
  const opened = openKernel({ home, extensionDirs });
  opening = opened;
  open = await opened;
  opening = undefined;
  if (terminating) await TERMINATING;
  phase = 'running';
  const conductor = open.conductor!;
  view = json ? undefined : new RunView();
  listeners = RUN_EVENTS.map((event) => {
    const fn = (payload: Record<string, unknown>) => {
      if (json) process.stdout.write(JSON.stringify({ type: 'event', event, ...payload }, noStack) + '\n');
      else view!.on(event, payload);
    };
    open!.kernel.events.on(event as keyof SymphonyEvents & 'run:start', fn as never);
    return () => open!.kernel.events.off(event as 'run:start', fn as never);
  });
  // Ctrl-C cancels the run as GitHub does: running steps are aborted, its `if: always()` /
  // `cancelled()` steps still run. A second Ctrl-C aborts those too; a third exits at once.
  let interrupts = 0;
  const stop = () => {
    interrupts++;
    if (interrupts >= 3 || !current) process.exit(130);
    conductor.cancel(current, { force: interrupts >= 2 });
    if (!json) {
      process.stderr.write(
        interrupts === 1
          ? `${c.yellow('■')} cancelling run ${current}: running steps are aborted; steps with \`if: always()\` or \`cancelled()\` still run (Ctrl-C again to abort them)\n`
          : `${c.yellow('■')} cancelling run ${current} again: its cleanup steps are aborted (Ctrl-C again to exit at once)\n`,
      );
    }
  };
  process.on('SIGINT', stop);
  // The process ends only when the run ends: this keeps the event loop alive whatever the
  // extensions, timers and backoffs in between do.
  const keepAlive = setInterval(() => {}, 1 << 30);
  // And should it drain anyway, say so: a summary is always printed.
  const drained = () => {
    process.stderr.write(`${c.red('✖')} the run ${current ?? ''} stopped before it ended (nothing left to wait for): it is still \`running\` in ${resolve(home)}; resume it with: symphony run --resume ${current ?? '<runId>'}\n`);
    process.exitCode = 1;
  };
  process.once('beforeExit', drained);
  let result: RunResult;
  try {
    if (values.resume) {
      current = values.resume;
      view?.header(`resuming ${values.resume}`, conductor.policy.status());
      result = await conductor.resume(values.resume);
    } else if (values.rerun) {
      const handle = conductor.rerun(values.rerun, { from: values.from ?? 'failed', startedBy: 'cli' });
      current = handle.runId;
      view?.header(`re-running ${values.rerun} (${values.from ?? 'failed'}) · ${handle.runId}`, conductor.policy.status());
      result = await handle.done;
    } else {
      const handle = conductor.start(workflow!, { inputs, source: workflowPath!, startedBy: 'cli' });
      current = handle.runId;
      view?.header(`${workflow!.name} · ${handle.runId}`, conductor.policy.status());
      result = await handle.done;
    }
    if (terminating) await TERMINATING;
  } catch (err) {
    if (terminating) await TERMINATING;
    view?.stop();
    const e = toSymphonyError(err);
    let created = false;
    try {
      created = current !== undefined && open.dag.record(current) !== undefined;
    } catch {
      created = true; // a damaged record still names a run
    }
    if (current && created && (e.code === 'E_LEDGER_FULL' || e.code === 'E_LEDGER_WRITE' || e.code === 'E_RUN_LOCKED' || e.code === 'E_LEDGER_CORRUPT')) {
      // The run did not end: it stays `running` in the store and resumes once the cause is fixed.
      const hint = e.code === 'E_RUN_LOCKED' ? '' : `\n  resume it once fixed: symphony run --resume ${current}${values.home ? ` --home ${values.home}` : ''}`;
      if (json) process.stdout.write(JSON.stringify({ type: 'result', runId: current, status: 'running', error: { code: e.code, message: e.message, details: e.details }, store: resolve(home) }) + '\n');
      else process.stdout.write(`${c.red('✖')} run ${current} stopped: ${e.message} ${c.dim(`[${e.code}]`)}${hint}\n`);
      // A store that failed may not close cleanly (lmdb waits on commits that cannot land):
      // nothing is left to save, so a failing close must not keep the process alive.
      const closed = await Promise.race([open.close().then(() => true, () => true), new Promise<false>((r) => setTimeout(() => r(false), 3_000).unref())]);
      if (!closed) process.exit(1);
      return 1;
    }
    await open.close().catch(() => {});
    throw e;
  } finally {
    process.off('SIGINT', stop);
    phase = 'ended';
    process.off('beforeExit', drained);
    clearInterval(keepAlive);
    listeners.forEach((off) => off());
    view?.stop();
  }
  const shown = conductor.show(result.runId);
  const steps = shown.steps;
  await open.close();
  const ok = result.status === 'succeeded';
  process.exitCode = lateSigterm ? 143 : ok ? 0 : 1;
  if (json) {
    process.stdout.write(JSON.stringify({ type: 'result', ...result, ...(lateSigterm ? { interrupted: 'SIGTERM' } : {}), store: resolve(home) }, noStack) + '\n');
    return lateSigterm ? 143 : ok ? 0 : 1;
  }
  const served = new Map(steps.map((s) => [s.stepId, s.servedBy]));
  process.stdout.write(
    '\n' +
      table(
        result.steps.map((s) => [
          s.stepId,
          stateLabel(s.state === 'failed' && (s.cancelled || s.error?.code === 'E_ABORTED') ? 'cancelled' : s.state, s.reused),
          String(s.attempts) + (s.interruptions ? c.dim(` (+${s.interruptions} interrupted)`) : ''),
          s.state === 'skipped' || s.reused ? '' : ms(s.durationMs),
          (served.get(s.stepId) ?? '') + (s.quality === undefined ? '' : c.dim(` (check: quality ${s.quality.toFixed(2)})`)),
          s.output ? `${s.output.name}@${s.output.version}` : '',
        ]),
        ['step', 'state', 'attempts', 'time', 'served by', 'output artifact'],
      ) +
      '\n\n',
  );
  if (result.status === 'succeeded') {
    process.stdout.write(`${c.green('✔')} ${result.status} in ${ms(result.durationMs)} · run ${result.runId}\n`);
    process.stdout.write(`  artifacts: ${resolve(home)} (symphony artifacts list --home ${home}; symphony runs explain ${result.runId})\n`);
    return lateSigterm ? 143 : 0;
  }
  const err = result.error;
  process.stdout.write(`${c.red('✖')} ${result.status} in ${ms(result.durationMs)} · run ${result.runId}\n`);
  if (result.status === 'cancelled') {
    const aborted = result.steps.filter((s) => s.state === 'failed' && (s.cancelled || s.error?.code === 'E_ABORTED')).map((s) => s.stepId);
    const unstarted = result.steps.filter((s) => s.state === 'pending').length;
    process.stdout.write(
      `  cancelled${aborted.length > 0 ? `: aborted ${aborted.join(', ')}` : ''}; steps with \`if: always()\` or \`cancelled()\` ran, the others were skipped` +
        (unstarted > 0 ? `; cancelled again: ${unstarted} step${unstarted === 1 ? '' : 's'} never started` : '') +
        '\n',
    );
  } else if (err) process.stdout.write(`  step ${c.bold(err.stepId ?? '?')} failed: ${err.message} ${c.dim(`[${err.code}]`)}\n`);
  // pit.dag ends failed and cancelled runs for good (resume is for runs cut off by a crash).
  process.stdout.write(`  run the failed steps again (keeping what succeeded): symphony run --rerun ${result.runId}${values.home ? ` --home ${values.home}` : ''}\n`);
  return lateSigterm ? 143 : 1;
}

/** Where a stored run's workflow came from, so a resume loads the same extensions. */
async function storedSource(home: string, runId: string): Promise<string | undefined> {
  // A home that does not exist (or holds no store) holds no run: refused without creating a store in it.
  const none = noStore(home);
  if (none) throw new SymphonyError('E_NOT_FOUND', `no run "${runId}" in ${resolve(home)}: ${none}`, { details: { runId, store: resolve(home) } });
  const open = await openStore(home);
  try {
    const run = open.dag.record(runId);
    if (!run) throw new SymphonyError('E_NOT_FOUND', `no run "${runId}" in ${resolve(home)} (see "symphony runs list")`, { details: { runId, store: resolve(home) } });
    return typeof run.meta?.source === 'string' ? run.meta.source : undefined;
  } finally {
    await open.close();
  }
}

/**
 * The store for inspection (`runs`, `artifacts`): no extensions started. A store this process may
 * not write (a read-only disk or folder) opens read-only.
 */
async function openStore(home: string, withStale = false) {
  try {
    return await openKernel({ home, storeOnly: true, ...(withStale ? { withStale } : {}) });
  } catch (err) {
    const e = toSymphonyError(err);
    const text = `${e.message} ${String((e.cause as Error | undefined)?.message ?? '')}`;
    if (!/EACCES|EROFS|EPERM|read-only|permission denied/i.test(text)) throw err;
    return openKernel({ home, readOnly: true });
  }
}

function stateLabel(state: string, reused?: boolean): string {
  if (reused) return c.dim(`${state} (earlier)`);
  return state === 'done' ? c.green('done') : state === 'failed' ? c.red('failed') : state === 'skipped' ? c.dim('skipped') : c.yellow(state);
}

/** Why a home holds nothing to inspect (it does not exist, or no run ever made its store), else undefined. */
function noStore(home: string): string | undefined {
  if (!existsSync(home)) return 'that home does not exist';
  if (!existsSync(join(home, 'ledger'))) return 'that home holds no store yet (nothing has run there)';
  return undefined;
}

/**
 * Inspection never creates a home or a store: a home that does not exist, or holds no store yet,
 * holds no runs and no artifacts. A list is empty (exit 0, with a note on stderr), asking for one
 * thing is `E_NOT_FOUND` (exit 1), as `symphony run --resume <id>` answers there.
 */
function emptyHome(home: string, why: string, what: 'runs' | 'artifacts', values: CommonValues, wanted?: string): number {
  const store = resolve(home);
  if (wanted !== undefined) {
    const thing = what === 'runs' ? `run "${wanted}"` : `artifact ${wanted}`;
    throw new SymphonyError('E_NOT_FOUND', `no ${thing} in ${store}: ${why}`, { details: { [what === 'runs' ? 'runId' : 'name']: wanted, store } });
  }
  if (values.json) process.stdout.write('[]\n');
  process.stderr.write(`no ${what} in ${store}: ${why} (--home or SYMPHONY_HOME to pick another)\n`);
  return 0;
}

async function runsCommand(positionals: string[], values: CommonValues, home: string): Promise<number> {
  const [sub = 'list', runId] = positionals;
  if (!['list', 'show', 'explain'].includes(sub)) throw new SymphonyError('E_USAGE', `unknown "runs ${sub}" (list, show <runId>, explain <runId>)`, { details: { sub } });
  if (sub !== 'list' && !runId) throw new SymphonyError('E_USAGE', `usage: symphony runs ${sub} <runId>`);
  const none = noStore(home);
  if (none) return emptyHome(home, none, 'runs', values, sub === 'list' ? undefined : runId);
  const open = await openStore(home);
  const { inspectRuns } = await import('@symphony/conductor/views');
  const conductor = inspectRuns(open.dag, open.symphony.ledger);
  try {
    if (sub === 'list') {
      const runs = conductor.runs(50);
      if (values.json) process.stdout.write(JSON.stringify(runs.map(({ workflow, ...r }) => ({ ...r, workflow: workflow.name })), null, 2) + '\n');
      else process.stdout.write(table(runs.map((r) => [r.runId, r.workflow.name, r.status, new Date(r.createdAt).toISOString(), r.endedAt ? ms(r.endedAt - r.createdAt) : '', String(r.resumes)]), ['run', 'workflow', 'status', 'created', 'took', 'resumes']) + '\n');
      return 0;
    }
    if (!runId) throw new SymphonyError('E_USAGE', `usage: symphony runs ${sub} <runId>`);
    if (sub === 'show') {
      const { run, steps } = conductor.show(runId);
      if (values.json) {
        process.stdout.write(JSON.stringify({ run, steps }, null, 2) + '\n');
        return 0;
      }
      process.stdout.write(`${c.bold(run.workflow.name)} · ${run.runId} · ${run.status}${run.source ? ` · ${run.source}` : ''}\n`);
      process.stdout.write(`inputs: ${JSON.stringify(run.inputs)}   policy: ${run.policy}   resumes: ${run.resumes}${run.startedBy ? `   started by: ${run.startedBy}` : ''}${run.rerunOf ? `   re-run of ${run.rerunOf} (${run.rerunFrom})` : ''}\n\n`);
      process.stdout.write(table(steps.map((s) => [s.stepId, s.reusedFrom ? `${s.state} (from ${s.reusedFrom})` : s.state === 'failed' && s.cancelled ? 'cancelled' : s.state, String(s.attempts), ms(s.durationMs), s.servedBy ?? '', s.output ? `${s.output.name}@${s.output.version}` : s.error ? `${s.error.code}: ${s.error.message}` : '']), ['step', 'state', 'attempts', 'time', 'served by', 'output / error']) + '\n');
      return 0;
    }
    if (sub === 'explain') {
      const decisions = conductor.explain(runId);
      if (values.json) {
        process.stdout.write(JSON.stringify(decisions, null, 2) + '\n');
        return 0;
      }
      if (decisions.length === 0) process.stdout.write('no decisions: this run has no capability steps (every step named its extension)\n');
      for (const d of decisions) {
        process.stdout.write(`#${d.seq} ${c.bold(d.stepId)} (capability:${d.capability}, ${d.kind}, attempt ${d.attempt + 1}) → ${c.cyan(d.verdict)}  [${d.policyVersion}]\n`);
        if (d.reason) process.stdout.write(`    why: ${d.reason.why}${d.reason.explored ? c.yellow(' [exploration]') : ''}${d.reason.tie ? c.yellow(' [tie]') : ''}\n`);
        d.candidates.forEach((cand, i) => {
          const p = d.probabilities?.[i];
          const r = d.reason?.candidates[i];
          const estimate = r ? `  value ${r.value.toFixed(3)} ± ${r.uncertainty.toFixed(3)}` : '';
          process.stdout.write(`    ${i === d.action ? '▶' : ' '} ${cand.id.padEnd(36)} p=${p === undefined ? '  -  ' : p.toFixed(3)}${estimate}  cost ${cand.cost.toFixed(2)}  seen ${cand.observations}  ewma ${cand.ewmaLatencyMs.toFixed(0)} ms  fail ${(cand.failureRate * 100).toFixed(0)}%  in-flight ${cand.inFlight}${cand.warm === undefined ? '' : cand.warm ? '  warm' : `  cold (start ~${cand.startCostMs ?? 0} ms)`}${cand.queueDepth === undefined ? '' : `  queue ${cand.queueDepth} deep, wait ~${(cand.queueWaitMs ?? 0).toFixed(0)} ms (+${(cand.queueCostMs ?? 0).toFixed(0)} ms expected)`}\n`);
        });
        if (d.probabilities && d.probabilities.length > d.candidates.length) process.stdout.write(`      give up${' '.repeat(29)} p=${(d.probabilities.at(-1) ?? 0).toFixed(3)}\n`);
        if (d.outcome) {
          const o = d.outcome;
          const quality = o.quality === undefined ? '' : `, quality ${o.quality.toFixed(3)}${o.checked ? ` (check${o.checkError ? ` could not be evaluated: ${o.checkError}` : ''})` : ''}`;
          process.stdout.write(`    outcome: ${o.ok ? c.green('ok') : c.red(o.code ?? 'failed')} in ${o.latencyMs.toFixed(1)} ms${quality}, reward ${o.reward.toFixed(3)}\n`);
        }
      }
      return 0;
    }
    throw new SymphonyError('E_USAGE', `unknown "runs ${sub}" (list, show <runId>, explain <runId>)`, { details: { sub } });
  } finally {
    await open.close();
  }
}

async function artifactsCommand(positionals: string[], values: CommonValues, home: string): Promise<number> {
  const [sub = 'list', spec] = positionals;
  if (!['list', 'get'].includes(sub)) throw new SymphonyError('E_USAGE', `unknown "artifacts ${sub}" (list [prefix], get <name[@version]>)`, { details: { sub } });
  if (sub === 'get' && !spec) throw new SymphonyError('E_USAGE', 'usage: symphony artifacts get <name[@version|@alias]> [--out file]');
  const none = noStore(home);
  if (none) return emptyHome(home, none, 'artifacts', values, sub === 'list' ? undefined : spec);
  const open = await openStore(home);
  try {
    if (sub === 'list') {
      const names = open.artifacts.names(spec ?? '', 500);
      const infos = names.map((n) => open.artifacts.info(n)).filter((i) => i !== undefined);
      if (values.json) process.stdout.write(JSON.stringify(infos, null, 2) + '\n');
      else process.stdout.write(table(infos.map((i) => [`${i.name}@${i.version}`, i.kind ?? '', `${i.size} B`, i.contentType, new Date(i.createdAt).toISOString(), i.score.toFixed(2)]), ['artifact', 'kind', 'size', 'type', 'created', 'score']) + '\n');
      return 0;
    }
    if (sub === 'get') {
      if (!spec) throw new SymphonyError('E_USAGE', 'usage: symphony artifacts get <name[@version|@alias]> [--out file]');
      // A workflow named `deploy@prod` files its outputs as `deploy@prod/<step>`: a whole name that exists wins over a version.
      const at = open.artifacts.info(spec) ? -1 : spec.lastIndexOf('@');
      const name = at > 0 ? spec.slice(0, at) : spec;
      const selector = at > 0 ? (/^\d+$/.test(spec.slice(at + 1)) ? Number(spec.slice(at + 1)) : spec.slice(at + 1)) : undefined;
      const artifact = open.artifacts.get(name, selector);
      if (!artifact) throw new SymphonyError('E_NOT_FOUND', `no artifact ${spec} in ${resolve(home)} (see "symphony artifacts list")`, { details: { name, selector } });
      if (values.out) {
        await writeFile(values.out, artifact.data);
        process.stdout.write(`${c.green('✔')} wrote ${artifact.info.name}@${artifact.info.version} (${artifact.info.size} B) to ${values.out}\n`);
      } else if (values.json) process.stdout.write(JSON.stringify({ info: artifact.info, value: open.artifacts.value(name, selector) }, null, 2) + '\n');
      else {
        const value = open.artifacts.value(name, selector);
        process.stdout.write(typeof value === 'string' ? value : value instanceof Uint8Array ? `<${value.length} bytes: use --out file>\n` : JSON.stringify(value, null, 2) + '\n');
      }
      return 0;
    }
    throw new SymphonyError('E_USAGE', `unknown "artifacts ${sub}" (list [prefix], get <name[@version]>)`, { details: { sub } });
  } finally {
    await open.close();
  }
}

/**
 * JSON replacer for `--json` lines: errors (objects with a string `message`) lose their `stack`,
 * at any depth (a step's error and its `cause`), unless SYMPHONY_DEBUG is set. No stack traces.
 */
function noStack(this: unknown, key: string, value: unknown): unknown {
  if (key === 'stack' && typeof value === 'string' && !process.env.SYMPHONY_DEBUG && typeof (this as { message?: unknown } | null)?.message === 'string') return undefined;
  return value;
}
