import type { Readable } from 'node:stream';
import type { SymphonyErrorJSON } from '@symphony/types';
import type { AuditLog } from './audit-log.js';
import type { PermissionKind } from './permission-set.js';
import { grantAdvice } from './policy.js';
import { CANCEL_GRACE_MS, createCpuWatchdog, type ResourceLimits } from './limits.js';

/*
 * Host-side guard around one launched extension: it watches the frames crossing the bus (the
 * opcodes of `@symphony/ipc-bus`'s protocol.ts, repeated here because the sandbox sits on the
 * same layer and may not import it) to
 *  - charge CPU per call and kill the process past its budget (the call fails with E_RESOURCE_LIMIT),
 *  - turn Node's permission-model refusals (ERR_ACCESS_DENIED) into E_PERMISSION_DENIED,
 *  - write every denial and every limit violation to the audit log,
 *  - name memory exhaustion (E_RESOURCE_LIMIT) instead of a bare crash.
 */
const OP_REQUEST = 0;
/** The preload's refusal report on stderr: this mark, then one JSON object, then a newline. */
export const DENIAL_MARK = '\u001esymphony-denied ';
/** Refusal reports audited per instance; past this they are only counted in the log by the bus. */
const MAX_REPORTED_DENIALS = 1000;
const OP_REPLY = 2;
const OP_FAIL = 3;

/** The parts of the bus's `BusEndpoint` the guard needs (structurally the same interface). */
export interface EndpointLike {
  postMessage(message: unknown, transfer?: readonly any[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  onClose(listener: (info: any) => void): () => void;
  close(): void;
  readonly transfers: boolean;
}

/** The parts of the bus's `Launched` the guard needs. */
export interface LaunchedLike {
  endpoint: EndpointLike;
  pid: number;
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
  stderr: Readable | null;
  stdout?: Readable | null;
}

export interface GuardOptions {
  extension: { id: string; version: string };
  limits: ResourceLimits;
  audit: AuditLog;
}

type Listener = (event: { data: unknown }) => void;

export function guardLaunched<L extends LaunchedLike>(launched: L, options: GuardOptions): L {
  const { extension, audit, limits } = options;
  const real = launched.endpoint;
  const inflight = new Map<number, string>();
  /** When each call in flight began (ms): a call the host ends past its wall time hit that limit. */
  const begun = new Map<number, number>();
  const wrapped = new Map<Listener, Listener>();
  const closeListeners = new Set<(info: unknown) => void>();
  let limitHit: { limit: string; detail: string } | undefined;
  const started = Date.now();
  let stderrTail = '';
  let markerLine = '';
  let reported = 0;
  launched.stderr?.on('data', (chunk: Buffer | string) => {
    const text = chunk.toString();
    stderrTail = (stderrTail + text).slice(-8192);
    // The preload reports every refusal on stderr (one marked line each), even one the
    // extension catches and hides: each becomes an audit entry (bounded per instance).
    markerLine = (markerLine + text).slice(-65536);
    let newline: number;
    while ((newline = markerLine.indexOf('\n')) >= 0) {
      const line = markerLine.slice(0, newline);
      markerLine = markerLine.slice(newline + 1);
      const at = line.indexOf(DENIAL_MARK);
      if (at < 0 || reported >= MAX_REPORTED_DENIALS) continue;
      try {
        const d = JSON.parse(line.slice(at + DENIAL_MARK.length)) as Record<string, unknown>;
        reported++;
        const message = typeof d.message === 'string' ? d.message.slice(0, 1024) : '';
        if (once(message, 'stderr')) record('deny', String(d.kind ?? 'unknown').slice(0, 64), String(d.target ?? 'unknown').slice(0, 512), String(d.rule ?? 'default-deny').slice(0, 128), message || undefined);
      } catch {
        // not a report: ordinary output
      }
    }
  });
  watchOutput(launched.stdout ?? null, 'stdout');
  watchOutput(launched.stderr, 'stderr');

  /**
   * stdout/stderr are bounded on the host side whatever the extension writes: a line longer than
   * `maxOutputLineBytes` is truncated by the bus and audited here (once per stream), and more than
   * `maxOutputBytesPerSecond` (a burst of 4× in any one window) kills the process (E_RESOURCE_LIMIT).
   */
  function watchOutput(stream: Readable | null, name: 'stdout' | 'stderr'): void {
    if (!stream) return;
    let windowStart = Date.now();
    let windowBytes = 0;
    let total = 0;
    let lineBytes = 0;
    let truncatedAudited = false;
    stream.on('data', (chunk: Buffer | string) => {
      if (limitHit) return;
      const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      total += size;
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        windowBytes = 0;
      }
      windowBytes += size;
      if (windowBytes > limits.maxOutputBytesPerSecond * 4 || total > limits.maxOutputBytesPerSecond * Math.max(4, (now - started) / 1000 + 4)) {
        limitHit = { limit: 'output', detail: `wrote ${total} bytes to ${name}, over ${limits.maxOutputBytesPerSecond} bytes/s` };
        record('limit', name, `pid ${launched.pid}`, `limits.maxOutputBytesPerSecond=${limits.maxOutputBytesPerSecond}`, limitHit.detail);
        failInflight('output', limitHit.detail);
        launched.kill('SIGKILL');
        deliverClose({ reason: 'exit', exitCode: null, signal: 'SIGKILL' });
        return;
      }
      const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      const newline = text.lastIndexOf('\n');
      lineBytes = newline < 0 ? lineBytes + text.length : text.length - newline - 1;
      if (newline >= 0 && newline > limits.maxOutputLineBytes) lineBytes = Math.max(lineBytes, longestLine(text));
      if (lineBytes > limits.maxOutputLineBytes && !truncatedAudited) {
        truncatedAudited = true;
        record('limit', name, `pid ${launched.pid}`, `limits.maxOutputLineBytes=${limits.maxOutputLineBytes}`, `a ${name} line longer than ${limits.maxOutputLineBytes} bytes was truncated`);
      }
    });
  }

  /**
   * A refusal reported by the preload arrives twice, on stderr and (if the extension lets it
   * propagate) as the call's error, in either order: whichever comes first is audited.
   */
  const seenBy = { stderr: new Map<string, number>(), reply: new Map<string, number>() };
  const once = (message: string, via: 'stderr' | 'reply'): boolean => {
    const other = seenBy[via === 'stderr' ? 'reply' : 'stderr'];
    const count = other.get(message) ?? 0;
    if (count > 0) {
      if (count === 1) other.delete(message);
      else other.set(message, count - 1);
      return false;
    }
    const mine = seenBy[via];
    if (mine.size < MAX_REPORTED_DENIALS) mine.set(message, (mine.get(message) ?? 0) + 1);
    return true;
  };

  const record = (kind: 'deny' | 'limit', operation: string, target: string, rule: string, detail?: string): void => {
    audit.append({ kind, extensionId: extension.id, version: extension.version, operation, target, rule, ...(detail ? { detail } : {}) });
  };

  const watchdog = createCpuWatchdog({
    pid: launched.pid,
    budgetMs: limits.cpuMs,
    // The bus times the call out at wallTimeMs and cancels it; this catches a handler that ignores that.
    wallBudgetMs: limits.wallTimeMs + CANCEL_GRACE_MS,
    onWallOverrun(callId, elapsedMs) {
      const method = inflight.get(Number(callId)) ?? 'unknown';
      limitHit = { limit: 'wall time', detail: `${method} still running ${Math.round(elapsedMs)} ms after it began, past its ${limits.wallTimeMs} ms limit and ${CANCEL_GRACE_MS} ms to stop` };
      record('limit', method, `pid ${launched.pid}`, `limits.wallTimeMs=${limits.wallTimeMs}`, limitHit.detail);
      failInflight('wall time', limitHit.detail);
      launched.kill('SIGKILL');
      deliverClose({ reason: 'exit', exitCode: null, signal: 'SIGKILL' });
    },
    onOverrun(callId, usedMs) {
      const method = inflight.get(Number(callId)) ?? 'unknown';
      limitHit = { limit: 'cpu', detail: `used ${Math.round(usedMs)} ms of CPU in ${method}, budget ${limits.cpuMs} ms` };
      record('limit', method, `pid ${launched.pid}`, `limits.cpuMs=${limits.cpuMs}`, limitHit.detail);
      failInflight('cpu', limitHit.detail);
      launched.kill('SIGKILL');
      // The bus hears of the end now, not when the kernel reaps the process: a call made in
      // between would otherwise go to the instance being killed.
      deliverClose({ reason: 'exit', exitCode: null, signal: 'SIGKILL' });
    },
  });

  function limitError(limit: string, detail: string, method: string): SymphonyErrorJSON {
    const fatal = limit !== 'open files';
    return {
      name: 'SymphonyError',
      code: limit === 'wall time' ? 'E_TIMEOUT' : 'E_RESOURCE_LIMIT',
      message: `${extension.id}@${extension.version} exceeded its ${limit} limit during ${method} (${detail})${fatal ? '; it was stopped and will be restarted' : ''}.`,
      details: { extensionId: extension.id, version: extension.version, method, limit },
    };
  }

  /** Fails every call still in flight with the limit error, before the bus sees the crash. */
  function failInflight(limit: string, detail: string): void {
    if (inflight.size === 0) return;
    const frame = [...inflight].map(([id, method]) => [OP_FAIL, id, limitError(limit, detail, method)]);
    inflight.clear();
    begun.clear();
    for (const listener of wrapped.keys()) listener({ data: frame });
  }

  function translate(frame: unknown): unknown {
    if (!Array.isArray(frame)) return frame;
    let changed = false;
    const out = frame.map((message: unknown) => {
      if (!Array.isArray(message)) return message;
      const op = message[0];
      if (op === OP_REPLY || op === OP_FAIL) {
        const id = message[1] as number;
        const method = inflight.get(id) ?? 'unknown';
        inflight.delete(id);
        begun.delete(id);
        watchdog.end(String(id));
        if (op === OP_FAIL) {
          const error = translateError(message[2] as SymphonyErrorJSON, method);
          if (error !== message[2]) {
            changed = true;
            return [OP_FAIL, id, error];
          }
        }
      }
      return message;
    });
    return changed ? out : frame;
  }

  function translateError(error: SymphonyErrorJSON, method: string): SymphonyErrorJSON {
    if (!error || typeof error !== 'object') return error;
    const details = (error.details ?? {}) as Record<string, unknown>;
    if (error.code === 'E_PERMISSION_DENIED') {
      // The preload reports its own refusals on stderr too: audited once, by whichever comes first.
      if (details.reported !== true || once(String(error.message).slice(0, 1024), 'reply')) record('deny', String(details.kind ?? method), String(details.target ?? details.requested ?? details.path ?? 'unknown'), String(details.rule ?? 'extension'), error.message);
      return error;
    }
    if (details.originalCode === 'EMFILE') {
      const detail = `${method}: ${error.message}`;
      record('limit', method, `pid ${launched.pid}`, `limits.maxOpenFiles=${limits.maxOpenFiles}`, detail);
      return limitError('open files', `more than ${limits.maxOpenFiles} open at once`, method);
    }
    if (details.originalCode === 'ERR_ACCESS_DENIED') {
      const denied = parseAccessDenied(error.stack ?? '');
      const target = denied?.resource ?? 'unknown';
      const kind = denied?.permission ?? 'node-permission';
      record('deny', kind, target, 'node-permission-model', `${method}: ${error.message}`);
      return {
        name: 'SymphonyError',
        code: 'E_PERMISSION_DENIED',
        message: `Permission denied: ${extension.id}@${extension.version} tried ${kind}${denied?.resource ? ` on "${denied.resource}"` : ''} in ${method}, which its grants do not allow (Node permission model). ${grantAdvice({ kind: (kind.startsWith('FileSystemWrite') ? 'fs.write' : kind.startsWith('FileSystem') ? 'fs.read' : kind === 'ChildProcess' ? 'child_process' : kind === 'WorkerThreads' ? 'worker' : kind) as PermissionKind, rule: 'node-permission-model', target }, extension.id)}`,
        details: { extensionId: extension.id, version: extension.version, method, kind, target, path: target, rule: 'node-permission-model', originalCode: 'ERR_ACCESS_DENIED' },
        ...(error.stack ? { stack: error.stack } : {}),
      };
    }
    return error;
  }

  const endpoint: EndpointLike = {
    get transfers() {
      return real.transfers;
    },
    postMessage(message, transfer) {
      if (Array.isArray(message)) {
        for (const m of message) {
          if (Array.isArray(m) && m[0] === OP_REQUEST) {
            inflight.set(m[1] as number, String(m[2]));
            begun.set(m[1] as number, Date.now());
            watchdog.begin(String(m[1]));
          }
        }
      }
      real.postMessage(message, transfer);
    },
    addEventListener(type, listener) {
      const w: Listener = (event) => listener({ data: translate(event.data) });
      wrapped.set(listener, w);
      real.addEventListener(type, w);
    },
    removeEventListener(type, listener) {
      const w = wrapped.get(listener);
      if (w) real.removeEventListener(type, w);
      wrapped.delete(listener);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    close() {
      real.close();
    },
  };

  function deliverClose(info: unknown): void {
    const listeners = [...closeListeners];
    closeListeners.clear();
    for (const listener of listeners) listener(info);
  }

  real.onClose((info: unknown) => {
    watchdog.stop();
    const error = (info as { error?: { code?: string; details?: Record<string, unknown> } } | undefined)?.error;
    if (!limitHit && error?.code === 'E_PAYLOAD_TOO_LARGE' && error.details?.maxFrameBytes !== undefined) {
      // The bus refused a frame from its header (a forged or runaway reply): the extension ends here.
      limitHit = { limit: 'message size', detail: `sent a ${String(error.details.bytes)}-byte frame, over the host's ${String(error.details.maxFrameBytes)}-byte cap` };
      record('limit', [...new Set(inflight.values())].join(',') || 'ipc', `pid ${launched.pid}`, `maxFrameBytes=${String(error.details.maxFrameBytes)}`, limitHit.detail);
      failInflight('message size', limitHit.detail);
      launched.kill('SIGKILL');
    }
    const deliver = (): void => deliverClose(info);
    if (limitHit || inflight.size === 0) return deliver();
    // Calls were in flight when it died: find out whether it ran out of memory before the bus
    // reports a plain crash, so the caller learns which limit it hit.
    const settle = Promise.race([launched.exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
    void settle.then(async (exit) => {
      await new Promise((resolve) => setTimeout(resolve, 20)); // the last stderr chunk
      if (isOutOfMemory(stderrTail, exit as { exitCode: number | null; signal: string | null } | undefined)) {
        const detail = `V8 heap limit of ${limits.memoryMb} MB reached`;
        for (const method of new Set(inflight.values())) record('limit', method, `pid ${launched.pid}`, `limits.memoryMb=${limits.memoryMb}`, detail);
        failInflight('memory', detail);
      } else if (hostKilled === 'SIGKILL' && inflight.size > 0) {
        // The host ended it: a call it had cut off at the wall-time limit never let go (the bus's
        // cancel grace), or it stopped answering health pings (a busy loop that never yields).
        // Either is a time limit, not a crash of the extension's own making.
        const at = Date.now();
        const overdue = [...inflight].filter(([id]) => at - (begun.get(id) ?? at) >= limits.wallTimeMs);
        if (overdue.length > 0) {
          const detail = `still running past its ${limits.wallTimeMs} ms limit after being cancelled, and was killed`;
          for (const method of new Set(overdue.map(([, method]) => method))) record('limit', method, `pid ${launched.pid}`, `limits.wallTimeMs=${limits.wallTimeMs}`, detail);
          failInflight('wall time', detail);
        } else {
          const detail = 'stopped answering the host (a loop that never yields?) and was killed';
          for (const method of new Set(inflight.values())) record('limit', method, `pid ${launched.pid}`, 'unresponsive', detail);
          failInflight('wall time', detail);
        }
      }
      deliver();
    });
  });

  let hostKilled: string | undefined;
  const kill = (signal: 'SIGTERM' | 'SIGKILL'): void => {
    hostKilled = signal === 'SIGKILL' ? 'SIGKILL' : (hostKilled ?? signal);
    launched.kill(signal);
  };
  return { ...launched, endpoint, kill } as L;
}

function longestLine(text: string): number {
  let longest = 0;
  let from = 0;
  for (;;) {
    const at = text.indexOf('\n', from);
    const end = at < 0 ? text.length : at;
    longest = Math.max(longest, end - from);
    if (at < 0) return longest;
    from = at + 1;
  }
}

function isOutOfMemory(stderr: string, exit: { exitCode: number | null; signal: string | null } | undefined): boolean {
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(stderr)) return true;
  return exit?.signal === 'SIGABRT' || exit?.exitCode === 134;
}

/** The preload appends `[ERR_ACCESS_DENIED permission=... resource=...]` to the stack's first line. */
function parseAccessDenied(stack: string): { permission: string; resource?: string } | undefined {
  const match = /\[ERR_ACCESS_DENIED permission=([^\s\]]+)(?: resource=([^\]]*))?\]/.exec(stack);
  if (!match) return undefined;
  return { permission: match[1]!, ...(match[2] ? { resource: match[2] } : {}) };
}
