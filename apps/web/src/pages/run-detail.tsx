import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Alert } from '../components/ui/alert';
import { Badge, type BadgeTone } from '../components/ui/badge';
import { Button } from '../components/ui/button';
import { Card } from '../components/ui/card';
import { Field, Input, Select } from '../components/ui/fields';
import { CodeBlock } from '../components/ui/misc';
import { can, useApi, type Decision, type RunDetail, type RunSummary, type StepDetail } from '../lib/api';
import { humanDuration, linkClick, navigate, runPath, when } from '../lib/router';

export const statusTone = (status: string): BadgeTone =>
  status === 'succeeded' || status === 'done' ? 'success' : status === 'failed' ? 'destructive' : status === 'cancelled' || status === 'skipped' ? 'secondary' : status === 'pending' ? 'outline' : 'warning';

const PAGE = 20;
/** Runs fetched per request (the server's cap); older ones load on demand. */
const LOADED = 1000;

/** Every run in the home (CLI runs too) from the server's store: filter, search, pages; each row links to its run. */
export function RunsLedger() {
  const { api } = useApi();
  const [newest, setRuns] = useState<RunSummary[]>();
  // Runs older than the newest LOADED, fetched on demand with `offset` (every run in the home is reachable).
  const [older, setOlder] = useState<RunSummary[]>([]);
  const [olderDone, setOlderDone] = useState(false);
  const runs = useMemo(() => {
    if (!newest || older.length === 0) return newest;
    const seen = new Set(newest.map((r) => r.runId));
    return [...newest, ...older.filter((r) => !seen.has(r.runId))];
  }, [newest, older]);
  const loadOlder = () => api.runs(LOADED, LOADED + older.length).then((r) => { setOlder((o) => [...o, ...r]); if (r.length < LOADED) setOlderDone(true); }, (err: Error) => setError(err.message));
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState('');
  const [workflow, setWorkflow] = useState('');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(0);
  useEffect(() => {
    let stop = false;
    const load = () => api.runs().then((r) => { if (!stop) setRuns(r); }, (err: Error) => { if (!stop) setError(err.message); });
    void load();
    // New runs (from this UI, the CLI or the API) show up without a reload.
    const timer = setInterval(load, 5000);
    return () => { stop = true; clearInterval(timer); };
  }, [api]);
  const workflows = useMemo(() => [...new Set((runs ?? []).map((r) => r.workflow))].sort(), [runs]);
  const q = query.trim().toLowerCase();
  const shown = (runs ?? []).filter((r) => (!status || r.status === status) && (!workflow || r.workflow === workflow) && (!q || searchText(r).includes(q)));
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  const current = Math.min(page, pages - 1);
  return (
    <Card title="All runs" description="Every run in this server's store, including runs started from the CLI." className="mb-4" data-testid="runs-ledger">
      {error && <Alert tone="destructive" title="Runs could not be loaded">{error}</Alert>}
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Search by run id or input" htmlFor="runs-search"><Input id="runs-search" type="search" value={query} onChange={(e) => { setQuery(e.target.value); setPage(0); }} placeholder="run id, input value, token" /></Field>
        <Field label="Status" htmlFor="runs-status">
          <Select id="runs-status" value={status} onChange={(e) => { setStatus(e.target.value); setPage(0); }}>
            <option value="">any</option>
            {['running', 'succeeded', 'failed', 'cancelled', 'interrupted'].map((s) => <option key={s} value={s}>{s}</option>)}
          </Select>
        </Field>
        <Field label="Workflow" htmlFor="runs-workflow">
          <Select id="runs-workflow" value={workflow} onChange={(e) => { setWorkflow(e.target.value); setPage(0); }}>
            <option value="">any</option>
            {workflows.map((w) => <option key={w} value={w}>{w}</option>)}
          </Select>
        </Field>
      </div>
      {!runs ? <p className="text-sm text-muted-foreground">Loading runs…</p> : shown.length === 0 ? <p className="text-sm text-muted-foreground">No runs match.</p> : (
        <ul className="flex flex-col divide-y" aria-label="Runs">
          {shown.slice(current * PAGE, current * PAGE + PAGE).map((r) => (
            <li key={r.runId} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
              <a href={runPath(r.runId)} onClick={linkClick(runPath(r.runId))} className="font-mono font-medium underline-offset-4 hover:underline" data-run-link={r.runId}>{r.runId}</a>
              <span>{r.workflow}</span>
              <Badge tone={statusTone(r.status)}>{r.status}</Badge>
              <span className="text-muted-foreground">{when(r.startedAt)}</span>
              <span className="text-muted-foreground">{r.endedAt && r.startedAt ? humanDuration(r.endedAt - r.startedAt) : ''}</span>
              {r.startedBy && <span className="text-muted-foreground">by {startedByText(r.startedBy)}</span>}
              {r.rerunOf && <span className="text-muted-foreground">re-run of <span className="font-mono">{r.rerunOf}</span></span>}
            </li>
          ))}
        </ul>
      )}
      {pages > 1 && (
        <nav className="flex items-center gap-2 text-sm" aria-label="Run pages">
          <Button variant="outline" size="sm" disabled={current === 0} onClick={() => setPage(current - 1)}>Previous</Button>
          <span>Page {current + 1} of {pages} ({shown.length} runs)</span>
          <Button variant="outline" size="sm" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>Next</Button>
        </nav>
      )}
      {(newest?.length ?? 0) >= LOADED && !olderDone && (
        <Button variant="outline" size="sm" className="mt-2 self-start" onClick={() => void loadOlder()} data-testid="runs-older">Load {LOADED} older runs</Button>
      )}
    </Card>
  );
}

/** What the search box matches: the run id, its inputs' values, who started it. */
const searchText = (r: RunSummary): string => [r.runId, r.startedBy ?? '', ...Object.entries(r.inputs ?? {}).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)].join('\n').toLowerCase();

/** `cli` → "the CLI", `token:ci` → "token “ci”". */
export const startedByText = (by: string | undefined): string =>
  !by ? 'unknown (before this was recorded, or a library call)' : by === 'cli' ? 'the CLI' : by.startsWith('token:') ? `token “${by.slice(6)}”` : by;

interface LogLine { at: number; stepId?: string; type: string; text: string }

/** Log lines from a run's events (`GET /runs/:id/events`, Server-Sent Events), live. */
function useRunEvents(runId: string, onEvent: () => void): LogLine[] {
  const [lines, setLines] = useState<LogLine[]>([]);
  const ref = useRef(onEvent);
  ref.current = onEvent;
  useEffect(() => {
    setLines([]);
    const source = new EventSource(`/runs/${encodeURIComponent(runId)}/events`);
    const types = ['run:start', 'step:start', 'step:progress', 'step:retry', 'step:end', 'step:fail', 'step:log', 'run:end'];
    const handler = (e: MessageEvent) => {
      let data: Record<string, unknown> = {};
      try { data = JSON.parse(String(e.data)) as Record<string, unknown>; } catch { /* not JSON: shown as is */ }
      const stepId = typeof data.stepId === 'string' ? data.stepId : undefined;
      const err = data.error as { code?: string; message?: string } | undefined;
      const text = e.type === 'step:progress' ? `${Math.round(Number(data.fraction ?? 0) * 100)}%${data.message ? ` ${String(data.message)}` : ''}`
        : e.type === 'step:log' ? `[${String(data.stream === 'log' ? data.level ?? 'log' : data.stream ?? 'log')}] ${String(data.line ?? data.message ?? data.text ?? '')}`
        : e.type === 'step:retry' ? `retry, attempt ${String(data.attempt ?? '?')}${err ? `: ${err.code} ${err.message}` : ''}`
        : e.type === 'step:fail' ? `failed${err ? `: ${err.code} ${err.message}` : ''}`
        : e.type === 'step:end' ? (typeof data.reusedFrom === 'string' ? `carried over from run ${data.reusedFrom}` : data.skipped ? 'skipped' : `succeeded in ${humanDuration(Number(data.durationMs))}`)
        : e.type === 'step:start' ? `started, attempt ${String(data.attempt ?? 1)}`
        : e.type === 'run:end' ? `run ${String(data.status ?? 'ended')}` : 'run started';
      // Lines are added in batches (a finished run replays its whole log in one burst: one render, not one per line).
      buffer.push({ at: Number(data.at ?? Date.now()), ...(stepId ? { stepId } : {}), type: e.type, text });
      flushing ??= setTimeout(flush, 50);
    };
    let buffer: LogLine[] = [];
    let flushing: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      flushing = undefined;
      const batch = buffer;
      buffer = [];
      // Bounded: the last 2000 lines in the page.
      setLines((prev) => (prev.length + batch.length > 2000 ? [...prev, ...batch].slice(-2000) : [...prev, ...batch]));
      ref.current();
    };
    for (const t of types) source.addEventListener(t, handler as EventListener);
    source.addEventListener('run:end', () => source.close());
    return () => { source.close(); clearTimeout(flushing); };
  }, [runId]);
  return lines;
}

/** A run: times, inputs, where it came from, a timeline of its steps, each step's provider, reason, log and error; cancel / resume / re-run. */
export function RunDetailView({ runId, stepId }: { runId: string; stepId?: string }) {
  const { api, auth } = useApi();
  const [run, setRun] = useState<RunDetail>();
  const [decisions, setDecisions] = useState<Decision[]>([]);
  const [error, setError] = useState<string>();
  const [action, setAction] = useState<{ busy?: string; message?: string; error?: string }>({});
  // Once a cancel was asked for here, the button offers GitHub's force-cancel (aborts the cleanup).
  const [cancelAsked, setCancelAsked] = useState(false);
  useEffect(() => setCancelAsked(false), [runId]);
  // Answers for another run (one this page showed before a navigation) are dropped.
  const current = useRef(runId);
  current.current = runId;
  const load = useCallback(() => {
    const mine = <T,>(f: (v: T) => void) => (v: T) => { if (current.current === runId) f(v); };
    api.run(runId).then(mine(setRun), mine((err: Error) => setError(err.message)));
    api.decisions(runId).then(mine(setDecisions), mine(() => setDecisions([])));
  }, [api, runId]);
  useEffect(() => { setRun(undefined); setError(undefined); load(); }, [load]);
  // Each event refreshes the run (at most every 500 ms). The timer reads the run shown when it
  // fires: an event of a new run (after a re-run's navigation) that arrives while a timer set for
  // the old one is pending is not lost.
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latestLoad = useRef(load);
  latestLoad.current = load;
  const lines = useRunEvents(runId, () => { if (!pending.current) pending.current = setTimeout(() => { pending.current = undefined; latestLoad.current(); }, 500); });
  useEffect(() => () => clearTimeout(pending.current), []);

  const act = async (name: string, f: () => Promise<unknown>, done: string) => {
    setAction({ busy: name });
    try { await f(); setAction({ message: done }); load(); } catch (err) { setAction({ error: (err as Error).message }); }
  };

  if (error) return <Alert tone="destructive" title={`Run ${runId}`}>{error}</Alert>;
  if (!run) return <p className="text-sm text-muted-foreground">Loading run {runId}…</p>;
  const mayRun = can(auth, 'run');
  // Recorded as running but driven by no process (its host stopped): resumable, not live.
  const orphaned = run.status === 'running' && run.driven === false;
  const live = (run.status === 'running' || run.status === 'pending') && !orphaned;
  // Only an ended run can be run again (the server refuses a running one, driven or not).
  const ended = run.status !== 'running' && run.status !== 'pending';
  const step = stepId ? run.steps.find((s) => s.stepId === stepId) : undefined;
  // This server keeps the events (and step logs) of the runs it drives; a CLI run's are in its terminal.
  const unrecorded = !live && run.startedBy === 'cli' ? 'This run was started from the CLI: its events and step logs were printed there, not kept by this server.' : '(no output)';
  const duration = run.endedAt && run.startedAt ? run.endedAt - run.startedAt : run.startedAt ? Date.now() - run.startedAt : undefined;
  return (
    <div className="flex flex-col gap-4" data-testid="run-detail">
      <nav aria-label="Breadcrumb" className="text-sm"><a href="/runs" onClick={linkClick('/runs')} className="underline-offset-4 hover:underline">Runs</a> / <span className="font-mono">{runId}</span></nav>
      <Card title={<span className="flex flex-wrap items-center gap-2"><span>Run <span className="font-mono">{runId}</span></span><Badge tone={statusTone(run.status)} data-testid="run-status">{run.status}</Badge></span>}
        description={`Workflow ${run.workflow}`}>
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-muted-foreground">Started</dt><dd>{when(run.startedAt)}</dd>
          <dt className="text-muted-foreground">Ended</dt><dd>{live ? 'still running' : orphaned ? 'not ended: no process drives it (Resume continues it)' : when(run.endedAt)}</dd>
          <dt className="text-muted-foreground">Duration</dt><dd data-testid="run-duration">{humanDuration(duration)}</dd>
          <dt className="text-muted-foreground">Started by</dt><dd className="break-all" data-testid="run-started-by">{startedByText(run.startedBy)}</dd>
          <dt className="text-muted-foreground">Workflow file</dt><dd className="break-all font-mono text-xs leading-5" data-testid="run-source">{run.source === 'api' ? 'a workflow document sent to the API' : run.source ?? '—'}</dd>
          {run.rerunOf ? <><dt className="text-muted-foreground">Re-run of</dt><dd data-testid="run-rerun-of"><a href={runPath(run.rerunOf)} onClick={linkClick(runPath(run.rerunOf))} className="font-mono underline underline-offset-4">{run.rerunOf}</a> ({run.rerunFrom === 'failed' ? 'the failed steps' : run.rerunFrom === 'all' || !run.rerunFrom ? 'every step' : `from step ${run.rerunFrom}`})</dd></> : null}
          {run.resumes ? <><dt className="text-muted-foreground">Resumed</dt><dd>{run.resumes} time(s)</dd></> : null}
          {run.policy && <><dt className="text-muted-foreground">Policy</dt><dd>{run.policy}</dd></>}
        </dl>
        {run.error && <Alert tone="destructive" title={`${run.error.code}${run.error.stepId ? ` in step ${run.error.stepId}` : ''}`}>{run.error.message}</Alert>}
        <div className="flex flex-wrap gap-2">
          {cancelAsked
            ? <Button variant="outline" size="sm" data-testid="force-cancel" disabled={!mayRun || !live || Boolean(action.busy)} onClick={() => void act('cancel', () => api.cancelRun(runId, { force: true }), 'Force-cancel requested: the cleanup steps are aborted too.')}
                title="Abort the cleanup steps (if: always() / cancelled()) too">Force cancel</Button>
            : <Button variant="outline" size="sm" disabled={!mayRun || !live || Boolean(action.busy)} onClick={() => void act('cancel', async () => { await api.cancelRun(runId); setCancelAsked(true); }, 'Cancel requested: steps with if: always() or cancelled() still run.')}
                title={mayRun ? undefined : 'needs the "run" scope'}>Cancel</Button>}
          {orphaned && (
            <Button variant="outline" size="sm" disabled={!mayRun || Boolean(action.busy)} onClick={() => void act('resume', () => api.resumeRun(runId), 'Resumed: finished steps are kept, the interrupted ones run again.')}
              title={mayRun ? 'No process drives this run (its server or CLI stopped): continue it here' : 'needs the "run" scope'}>Resume</Button>
          )}
          <Button variant="outline" size="sm" disabled={!mayRun || !ended || run.status === 'succeeded' || Boolean(action.busy)} data-testid="rerun-failed"
            onClick={() => void act('rerun', async () => navigate(runPath(await api.rerun(runId, 'failed'))), 'Started again.')}
            title={mayRun ? 'A new run: the steps that did not succeed run again, the others are carried over' : 'needs the "run" scope'}>Re-run from the failed step</Button>
          <Button variant="outline" size="sm" disabled={!mayRun || !ended || Boolean(action.busy)} data-testid="rerun-all"
            onClick={() => void act('rerun', async () => navigate(runPath(await api.rerun(runId, 'all'))), 'Started again.')}
            title={mayRun ? 'A new run of the same workflow with the same inputs' : 'needs the "run" scope'}>Re-run all</Button>
          {!mayRun && <span className="self-center text-xs text-muted-foreground">Your token's scope is read-only.</span>}
        </div>
        {(action.message || action.error) && <p role="status" className={action.error ? 'text-sm text-destructive-fg' : 'text-sm'}>{action.error ?? action.message}</p>}
        <details>
          <summary className="cursor-pointer text-sm font-medium">Inputs</summary>
          <CodeBlock code={JSON.stringify(run.inputs ?? {}, null, 2)} language="json" />
        </details>
      </Card>
      <Card title="Timeline" description="Each step from its first start to its end; attempts and retries in the label.">
        <Timeline run={run} selected={stepId} />
      </Card>
      {stepId && (
        <StepPanel runId={runId} step={step} stepId={stepId} decisions={decisions.filter((d) => d.stepId === stepId)} lines={lines.filter((l) => l.stepId === stepId)} live={live} empty={unrecorded}
          rerun={mayRun && ended ? () => void act('rerun', async () => navigate(runPath(await api.rerun(runId, stepId))), 'Started again.') : undefined} />
      )}
      <Card title="Run log" description="Every event of this run, live.">
        <LogView lines={lines} label="Run log" live={live} empty={unrecorded} />
      </Card>
    </div>
  );
}

function Timeline({ run, selected }: { run: RunDetail; selected?: string }) {
  // Steps carried over from an earlier run did not run in this one: listed apart, not on the time axis.
  const ran = run.steps.filter((s) => !s.reusedFrom);
  const carried = run.steps.filter((s) => s.reusedFrom);
  const start = Math.min(...ran.map((s) => s.startedAt || Infinity), run.startedAt ?? Infinity);
  const end = Math.max(...ran.map((s) => s.endedAt ?? 0), run.endedAt ?? 0, start + 1);
  const span = Math.max(1, end - start);
  const order = ran.slice().sort((a, b) => (a.startedAt || Infinity) - (b.startedAt || Infinity));
  const waiting = Object.keys(run.needs ?? {}).filter((id) => !run.steps.some((s) => s.stepId === id));
  const stepLink = (s: StepDetail, extra?: string) => (
    <a href={runPath(run.runId, s.stepId)} onClick={linkClick(runPath(run.runId, s.stepId))} aria-current={s.stepId === selected ? 'true' : undefined} data-step-link={s.stepId}
      className={`truncate text-sm underline-offset-4 hover:underline ${s.stepId === selected ? 'font-semibold' : ''}`}>
      {s.stepId}
      <span className="sr-only">: {extra ?? `${s.state}, ${humanDuration(s.durationMs)}, ${s.attempts} attempt(s)`}</span>
    </a>
  );
  return (
    <>
      <ol className="flex flex-col gap-1" aria-label="Steps in time order" data-testid="timeline">
        {order.map((s) => {
          const left = s.startedAt ? ((s.startedAt - start) / span) * 100 : 0;
          const width = s.startedAt && s.endedAt ? Math.max(0.5, ((s.endedAt - s.startedAt) / span) * 100) : 0.5;
          const bar = s.state === 'succeeded' || s.state === 'done' ? 'bg-success' : s.state === 'failed' ? 'bg-destructive' : s.state === 'skipped' ? 'bg-muted-foreground' : 'bg-warning';
          return (
            <li key={s.stepId} className="grid grid-cols-1 items-center gap-x-3 sm:grid-cols-[12rem_1fr]">
              {stepLink(s)}
              <div className="flex items-center gap-2" aria-hidden="true">
                <div className="relative h-5 flex-1 rounded bg-muted">
                  <div className={`absolute top-1 bottom-1 rounded ${bar}`} style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%` }} />
                </div>
                <span className="shrink-0 text-xs">{humanDuration(s.durationMs)}{s.attempts > 1 ? ` · ${s.attempts} attempts` : ''}{s.interruptions ? ` · ${s.interruptions} interrupted` : ''}</span>
              </div>
            </li>
          );
        })}
        {waiting.map((id) => <li key={id} className="text-sm text-muted-foreground">{id}: waiting for {(run.needs?.[id] ?? []).join(', ') || 'a slot'}</li>)}
      </ol>
      {carried.length > 0 && (
        <div className="flex flex-col gap-1" data-testid="carried">
          <h3 className="text-sm font-semibold">Carried over (not run again)</h3>
          <ul className="flex flex-col gap-1 text-sm">
            {carried.map((s) => (
              <li key={s.stepId} className="flex flex-wrap gap-x-2">
                {stepLink(s, `carried over from run ${s.reusedFrom}`)}
                <span className="text-muted-foreground">from run <a href={runPath(s.reusedFrom!, s.stepId)} onClick={linkClick(runPath(s.reusedFrom!, s.stepId))} className="font-mono underline underline-offset-4">{s.reusedFrom}</a></span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

function StepPanel({ runId, step, stepId, decisions, lines, live, empty, rerun }: { runId: string; step?: StepDetail; stepId: string; decisions: Decision[]; lines: LogLine[]; live: boolean; empty: string; rerun?: (() => void) | undefined }) {
  const headingRef = useRef<HTMLDivElement>(null);
  // A deep link or a click on a step brings its panel into view and gives it the focus.
  useEffect(() => { headingRef.current?.focus(); }, [stepId]);
  return (
    <div ref={headingRef} tabIndex={-1} className="outline-none" data-testid="step-panel">
      <Card title={<>Step <span className="font-mono">{stepId}</span></>} description={!step ? 'not started yet' : step.reusedFrom ? `carried over from run ${step.reusedFrom}` : `${step.state} · ${humanDuration(step.durationMs)} · ${step.attempts} attempt(s)`}>
        {step && (
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-muted-foreground">Started</dt><dd>{when(step.startedAt)}</dd>
            <dt className="text-muted-foreground">Ended</dt><dd>{when(step.endedAt)}</dd>
            <dt className="text-muted-foreground">Provider</dt><dd className="font-mono break-all" data-testid="step-provider">{step.servedBy ?? '—'}</dd>
            {step.output && <><dt className="text-muted-foreground">Output</dt><dd className="font-mono break-all">{step.output.name}@{step.output.version}</dd></>}
          </dl>
        )}
        {step?.reusedFrom && (
          <p className="text-sm" data-testid="step-carried">
            This step did not run in this run: its result was carried over from run{' '}
            <a href={runPath(step.reusedFrom, stepId)} onClick={linkClick(runPath(step.reusedFrom, stepId))} className="font-mono underline underline-offset-4">{step.reusedFrom}</a>, where its log is.
          </p>
        )}
        {step?.error && <Alert tone="destructive" title={step.error.code}>{step.error.message}</Alert>}
        {decisions.length > 0 && (
          <div className="flex flex-col gap-1">
            <h3 className="text-sm font-semibold">Decisions</h3>
            <ul className="flex flex-col gap-1 text-sm" data-testid="decisions">
              {decisions.map((d) => (
                <li key={d.seq}>
                  Attempt {d.attempt}: <span className="font-medium">{d.verdict}</span>{d.chosen ? <> → <span className="font-mono">{d.chosen}</span></> : null} of {d.candidates.length} for <span className="font-mono">{d.capability}</span>
                  {d.reason?.why ? <span className="text-muted-foreground"> — {d.reason.why}</span> : null}
                  {d.outcome ? <span className="text-muted-foreground"> ({d.outcome.ok ? 'ok' : d.outcome.code ?? 'failed'}, {humanDuration(d.outcome.latencyMs)})</span> : null}
                </li>
              ))}
            </ul>
          </div>
        )}
        <h3 className="text-sm font-semibold">Log</h3>
        <LogView lines={lines} label={`Log of step ${stepId}`} live={live} empty={empty} />
        <div className="flex flex-wrap items-center gap-3">
          {rerun && <Button variant="outline" size="sm" onClick={rerun} data-testid="rerun-step" title="A new run: this step and everything after it run again, the steps before are carried over">Re-run from this step</Button>}
          <a className="text-sm underline-offset-4 hover:underline" href={runPath(runId)} onClick={linkClick(runPath(runId))}>Close step</a>
        </div>
      </Card>
    </div>
  );
}

/** A log, live while the run runs (it follows the end unless scrolled up), searchable. */
function LogView({ lines, label, live, empty = '(no output)' }: { lines: LogLine[]; label: string; live: boolean; empty?: string }) {
  const [filter, setFilter] = useState('');
  const box = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);
  const needle = filter.trim().toLowerCase();
  const shown = needle ? lines.filter((l) => l.text.toLowerCase().includes(needle) || (l.stepId ?? '').toLowerCase().includes(needle)) : lines;
  useEffect(() => {
    const el = box.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [shown.length]);
  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <Input type="search" aria-label={`Search the ${label.toLowerCase()}`} placeholder="search the log" value={filter} onChange={(e) => setFilter(e.target.value)} className="max-w-xs" />
        <span className="text-xs text-muted-foreground" aria-live="polite" data-testid="log-count">
          {needle ? `${shown.length} of ${lines.length} lines match` : `${lines.length} lines`}{live ? ' · live' : ''}
        </span>
      </div>
      <pre ref={box} tabIndex={0} aria-label={label} onScroll={(e) => { const el = e.currentTarget; atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24; }}
        className="max-h-80 overflow-auto rounded-md border bg-muted/50 p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap" data-testid="log">
        {shown.length === 0 ? (needle && lines.length ? 'no line matches' : empty) : shown.map((l, i) => <LogLineView key={i} line={l} needle={needle} />)}
      </pre>
    </div>
  );
}

function LogLineView({ line, needle }: { line: LogLine; needle: string }) {
  const text = `${new Date(line.at).toLocaleTimeString()}  ${line.stepId ? `${line.stepId}  ` : ''}${line.text}`;
  const at = needle ? text.toLowerCase().indexOf(needle) : -1;
  return (
    <span className={line.type === 'step:fail' ? 'block text-destructive-fg' : 'block'}>
      {at < 0 ? text : <>{text.slice(0, at)}<mark className="rounded-sm bg-warning/40 text-foreground">{text.slice(at, at + needle.length)}</mark>{text.slice(at + needle.length)}</>}
    </span>
  );
}
