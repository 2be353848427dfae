import { createContext, useContext } from 'react';

/**
 * Where the app runs: behind `apps/server` (`authed` after a login with an API token, `login`
 * until then) or on the test host, which has no HTTP API and no authentication (`open`).
 */
export type AuthState =
  | { status: 'checking' }
  | { status: 'open' }
  | { status: 'login'; error?: string }
  | { status: 'authed'; scopes: string[] };

export interface WorkflowEntry {
  name: string;
  description?: string;
  inputs: Record<string, { type: string; default?: unknown; description?: string; required?: boolean }>;
  steps: number;
}

export interface ArtifactSummary {
  name: string;
  version: number;
  hash: string;
  size?: number;
}

export interface RunSummary {
  runId: string; workflow: string; status: string; startedAt?: number; endedAt?: number;
  /** `cli`, `token:<name>`, ... */
  startedBy?: string;
  rerunOf?: string;
  inputs?: Record<string, unknown>;
}
export interface StepDetail {
  stepId: string; state: string; attempts: number; servedBy?: string; interruptions?: number;
  startedAt?: number; endedAt?: number; durationMs?: number;
  error?: { code: string; message: string };
  output?: { name: string; version: number };
  /** Carried over from that run (a re-run); it did not run in this one. */
  reusedFrom?: string;
}
export interface RunDetail extends RunSummary {
  steps: StepDetail[];
  inputs?: Record<string, unknown>;
  source?: string;
  resumes?: number;
  policy?: string;
  needs?: Record<string, string[]>;
  error?: { code: string; message: string; stepId?: string };
  /** The run this one re-runs, and what ran again (`all`, `failed` or a step id). */
  rerunFrom?: string;
  /** False for a run recorded as running that no process drives (a crash left it): it can be resumed. */
  driven?: boolean;
}
export interface Decision {
  seq: number; stepId: string; kind: string; attempt: number; capability: string; verdict: string; chosen?: string;
  candidates: Array<{ id: string }>;
  reason?: { why?: string } & Record<string, unknown>;
  policy: string; at: number;
  outcome?: { ok: boolean; latencyMs: number; code?: string };
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/**
 * The server's HTTP API from the browser. The session lives in an httpOnly cookie the page never
 * sees; the CSRF token that must accompany every state-changing request is kept here (and read
 * again from `GET /auth/session` after a reload).
 */
export class Api {
  private csrf: string | undefined;

  /** Asks the server who we are; a host without the API (no JSON answer) means `open`. */
  async session(): Promise<AuthState> {
    let res: Response;
    try {
      res = await fetch('/auth/session', { credentials: 'same-origin', headers: { accept: 'application/json' } });
    } catch {
      return { status: 'login', error: 'The server cannot be reached.' };
    }
    if (res.status === 401) return { status: 'login' };
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('application/json')) return { status: 'open' };
    const body = (await res.json()) as { scopes: string[]; csrf?: string };
    this.csrf = body.csrf;
    return { status: 'authed', scopes: body.scopes };
  }

  /** Logs in with an API token, or with a one-time code a local launcher handed over (`{ code }`). */
  async login(token: string | { code: string }): Promise<AuthState> {
    const res = await fetch('/auth/login', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(typeof token === 'string' ? { token } : token) });
    if (!res.ok) {
      const problem = await this.problem(res);
      return { status: 'login', error: res.status === 401 ? 'That token is not valid (or has expired or been revoked).' : problem.message };
    }
    const body = (await res.json()) as { csrf: string; scopes: string[] };
    this.csrf = body.csrf;
    return { status: 'authed', scopes: body.scopes };
  }

  async logout(): Promise<void> {
    await this.request('POST', '/auth/logout').catch(() => undefined);
    this.csrf = undefined;
  }

  async workflows(): Promise<WorkflowEntry[]> {
    return ((await this.request('GET', '/workflows')) as { workflows: WorkflowEntry[] }).workflows;
  }

  async startRun(workflowName: string, inputs: Record<string, string | number | boolean>): Promise<string> {
    return ((await this.request('POST', '/runs', { workflowName, inputs })) as { runId: string }).runId;
  }

  /** Runs from the store (every run in the home, CLI runs too), newest first; `offset` skips the newest. */
  async runs(limit = 1000, offset = 0): Promise<RunSummary[]> {
    return ((await this.request('GET', `/runs?limit=${limit}${offset ? `&offset=${offset}` : ''}`)) as { runs: RunSummary[] }).runs;
  }

  async run(runId: string): Promise<RunDetail> {
    return (await this.request('GET', `/runs/${encodeURIComponent(runId)}`)) as RunDetail;
  }

  async decisions(runId: string): Promise<Decision[]> {
    return ((await this.request('GET', `/runs/${encodeURIComponent(runId)}/decisions`)) as { decisions: Decision[] }).decisions;
  }

  /** Cancels a run (its `always()`/`cancelled()` cleanup steps still run); `force` aborts those too. */
  async cancelRun(runId: string, options: { force?: boolean } = {}): Promise<void> {
    await this.request('POST', `/runs/${encodeURIComponent(runId)}/cancel`, options.force ? { force: true } : {});
  }

  /** A new run of an ended run: `all`, `failed` (the rest is carried over) or a step id and what follows it. */
  async rerun(runId: string, from: string): Promise<string> {
    return ((await this.request('POST', `/runs/${encodeURIComponent(runId)}/rerun`, { from })) as { runId: string }).runId;
  }

  async resumeRun(runId: string): Promise<void> {
    await this.request('POST', `/runs/${encodeURIComponent(runId)}/resume`, {});
  }

  async artifacts(): Promise<ArtifactSummary[]> {
    return ((await this.request('GET', '/artifacts?limit=200')) as { artifacts: ArtifactSummary[] }).artifacts;
  }

  /** An artifact version's bytes as text (the first `limit` bytes). */
  async artifactText(name: string, version: number, limit = 64 * 1024): Promise<{ text: string; truncated: boolean }> {
    const res = await fetch(`/artifacts/${encodeURIComponent(name)}/versions/${version}`, { credentials: 'same-origin' });
    if (!res.ok) throw await this.problem(res);
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { text: new TextDecoder().decode(bytes.subarray(0, limit)), truncated: bytes.length > limit };
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrf) headers['x-csrf-token'] = this.csrf;
    const res = await fetch(path, { method, credentials: 'same-origin', headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw await this.problem(res);
    return res.json();
  }

  private async problem(res: Response): Promise<ApiError> {
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    return new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? res.statusText);
  }
}

export interface ApiContextValue {
  api: Api;
  auth: AuthState;
  logout(): void;
}

export const ApiContext = createContext<ApiContextValue | null>(null);

/** The API and the login state; undefined API features when the app runs on the test host. */
export function useApi(): ApiContextValue {
  const value = useContext(ApiContext);
  if (!value) throw new Error('useApi outside <ApiContext.Provider>');
  return value;
}

export const canRun = (auth: AuthState): boolean => auth.status === 'authed' && auth.scopes.some((s) => s === 'run' || s === 'admin');

const RANK: Record<string, number> = { read: 0, run: 1, admin: 2 };
/**
 * Whether this session holds `scope` (`read` < `run` < `admin`), to disable controls it may not
 * use. Only a hint: the server checks the same scope on every change, over HTTP and the socket.
 */
export const can = (auth: AuthState, scope: 'read' | 'run' | 'admin'): boolean =>
  auth.status === 'open' || (auth.status === 'authed' && auth.scopes.some((s) => (RANK[s] ?? -1) >= RANK[scope]!));
