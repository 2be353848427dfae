import { useEffect, useState, type FormEvent } from 'react';
import { Alert } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card } from '../components/ui/card';
import { Field, Input, Select } from '../components/ui/fields';
import { useApi, type WorkflowEntry } from '../lib/api';
import { linkClick, runPath } from '../lib/router';

/** Starts one of the server's configured workflows (`GET /workflows`, `POST /runs {workflowName, inputs}`). */
export function StartRun() {
  const { api } = useApi();
  const [workflows, setWorkflows] = useState<WorkflowEntry[]>();
  const [selected, setSelected] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ runId?: string; error?: string }>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.workflows().then((list) => { setWorkflows(list); if (list[0]) setSelected(list[0].name); }, (err: Error) => setResult({ error: err.message }));
  }, [api]);
  const workflow = workflows?.find((w) => w.name === selected);
  useEffect(() => {
    // Each input starts at its declared default.
    setValues(Object.fromEntries(Object.entries(workflow?.inputs ?? {}).map(([k, spec]) => [k, spec.default === undefined ? '' : String(spec.default)])));
  }, [workflow]);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    if (!workflow) return;
    setBusy(true);
    try {
      // Empty fields fall back to the declared default on the server.
      const inputs = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
      setResult({ runId: await api.startRun(workflow.name, inputs) });
    } catch (err) {
      setResult({ error: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  if (workflows && workflows.length === 0) return null;
  return (
    <Card title="Start a run" description={workflow?.description ?? 'Workflows this server is configured with'} className="mb-4" data-testid="start-run">
      <form className="flex flex-col gap-3" onSubmit={(e) => void start(e)}>
        <div className="grid gap-3 md:grid-cols-2">
          <Field label="Workflow" htmlFor="workflow">
            <Select id="workflow" value={selected} onChange={(e) => setSelected(e.target.value)} disabled={!workflows}>
              {(workflows ?? []).map((w) => <option key={w.name} value={w.name}>{w.name} ({w.steps} steps)</option>)}
            </Select>
          </Field>
          {Object.entries(workflow?.inputs ?? {}).map(([name, spec]) => (
            <Field key={name} label={`${name}${spec.description ? ` — ${spec.description}` : ''}`} htmlFor={`input-${name}`}>
              <Input id={`input-${name}`} name={name} type={spec.type === 'number' ? 'number' : 'text'} value={values[name] ?? ''} onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))} />
            </Field>
          ))}
        </div>
        <div className="flex items-center gap-3">
          <Button type="submit" disabled={busy || !workflow}>{busy ? 'Starting…' : 'Start'}</Button>
          {result.runId && <span className="text-sm text-muted-foreground" data-testid="started-run">Started run <a href={runPath(result.runId)} onClick={linkClick(runPath(result.runId))} className="font-mono underline underline-offset-4">{result.runId}</a>: open it to watch its steps, or select it below.</span>}
        </div>
        {result.error && <Alert tone="destructive" title="Could not start the run" data-testid="start-error">{result.error}</Alert>}
      </form>
    </Card>
  );
}
