/**
 * Loaded with `--require` first thing inside a sandboxed extension process. It is a reporting
 * layer, not the wall: the walls are the mount/network namespaces (bubblewrap) and Node's
 * permission model. What it adds is a clear `E_PERMISSION_DENIED` for the things those walls
 * refuse in confusing ways (a raw `net.connect` in an empty network namespace fails with
 * ENETUNREACH; without bubblewrap Node 20 cannot refuse it at all, so here it is refused), and
 * for reads of environment variables the host withheld (they are absent either way), and for
 * `fs` calls on paths outside the grants, resolved through symlinks (preload-fs.ts).
 *
 * No imports beyond Node built-ins: this file must load with nothing else readable.
 */
import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import fs from 'node:fs';
import inspector from 'node:inspector';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { guardFs, type FsRoots } from './preload-fs.js';

interface SandboxInfo {
  id: string;
  version: string;
  /** Granted network patterns (`host`, `host:port`, `*.domain`, `*`). */
  net: string[];
  /** Names the host withheld from this process. */
  withheldEnv: string[];
  /** The policy layers as data (see `sandboxContext()` in the package). */
  policy?: unknown;
  /** Resolved roots this process may read (code included) and write. */
  fs?: FsRoots;
  /** Whether it may start processes / worker threads (Node's model refuses them otherwise). */
  childProcess?: boolean;
  worker?: boolean;
}

const BRAND = Symbol.for('symphony.error');

/** Captured before any extension code runs: patching `fs.writeSync` later cannot hide a report. */
const writeSync = fs.writeSync;
/** The host's guard audits each line starting with this (see guard-launcher.ts `DENIAL_MARK`). */
const DENIAL_MARK = '\u001esymphony-denied ';

/** Tells the host about a refusal on stderr, so it is audited even when the extension swallows the error. */
function report(message: string, details: Record<string, unknown>): void {
  try {
    writeSync(2, `${DENIAL_MARK}${JSON.stringify({ kind: details.kind, target: details.target, rule: details.rule, message })}\n`);
  } catch {
    // stderr closed: the host is gone or not listening
  }
}

function denied(message: string, details: Record<string, unknown>): Error {
  report(message, details);
  details = { ...details, reported: true };
  const error = new Error(message) as Error & { code: string; details: Record<string, unknown>; toJSON(): unknown };
  error.name = 'SymphonyError';
  error.code = 'E_PERMISSION_DENIED';
  error.details = details;
  // Recognised as a SymphonyError by any copy of @symphony/types, so the bus keeps its details.
  Object.defineProperty(error, BRAND, { value: true });
  Object.defineProperty(error, 'toJSON', {
    value: () => ({ name: 'SymphonyError', code: 'E_PERMISSION_DENIED', message, details, stack: error.stack }),
  });
  return error;
}

function splitHostPort(text: string): { host: string; port: string } {
  const value = text.trim().toLowerCase();
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    const rest = value.slice(close + 1);
    return { host: value.slice(1, close), port: rest.startsWith(':') ? rest.slice(1) : '*' };
  }
  if (value.split(':').length === 2) {
    const [host = '', port = '*'] = value.split(':');
    return { host, port };
  }
  return { host: value, port: '*' };
}

function netAllowed(patterns: string[], host: string, port: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return patterns.some((pattern) => {
    if (pattern.trim() === '*') return true;
    const want = splitHostPort(pattern);
    const hostOk = want.host.startsWith('*.') ? h.endsWith(want.host.slice(1)) : h === want.host;
    return hostOk && (want.port === '*' || want.port === port);
  });
}

/** net.Socket#connect's many call shapes: (port, host), (options), (path). */
function target(args: unknown[]): { host: string; port: string; path?: string } {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: string; port?: number | string; path?: string };
    if (o.path) return { host: 'unix', port: '*', path: o.path };
    return { host: o.host ?? 'localhost', port: String(o.port ?? '') };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { host: 'unix', port: '*', path: first };
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: String(first ?? '') };
}

function install(info: SandboxInfo): void {
  const who = `${info.id}@${info.version}`;
  const originalConnect = net.Socket.prototype.connect;
  const busSocket = process.env.SYMPHONY_IPC_SOCKET;
  const netDenied = (what: string, requested: string) =>
    denied(`Permission denied: ${who} may not ${what} (no net grant; rule default-deny).`, {
      extensionId: info.id,
      version: info.version,
      kind: 'net',
      requested,
      target: requested,
      rule: 'default-deny',
    });
  const guardedConnect = function (this: net.Socket, ...args: unknown[]) {
    const t = target(args);
    // Unix and abstract sockets reach other processes (a desktop bus, a docker socket): only the
    // host's own bus socket, or a grant naming `unix:<path>` (or `*`), may be connected.
    if (t.path !== undefined) {
      const allowed = t.path === busSocket || info.net.some((p) => p.trim() === '*' || p.trim() === `unix:${t.path}`);
      if (!allowed) throw netDenied(`connect to the unix socket ${JSON.stringify(t.path)}`, `unix:${t.path}`);
      return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    }
    if (!netAllowed(info.net, t.host, t.port)) {
      const error = denied(`Permission denied: ${who} may not open a network connection to ${t.host}:${t.port} (no net grant; rule default-deny).`, {
        extensionId: info.id,
        version: info.version,
        kind: 'net',
        requested: `${t.host}:${t.port}`,
        target: `${t.host}:${t.port}`,
        rule: 'default-deny',
      });
      throw error;
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  };
  Object.defineProperty(net.Socket.prototype, 'connect', { value: guardedConnect, writable: false, configurable: false });

  for (const method of ['send', 'connect'] as const) {
    const original = dgram.Socket.prototype[method] as (...a: unknown[]) => unknown;
    const guarded = function (this: dgram.Socket, ...args: unknown[]) {
      if (!info.net.some((p) => p.trim() === '*')) {
        throw denied(`Permission denied: ${who} may not use UDP (only a full \`net: true\` grant allows it; rule default-deny).`, {
          extensionId: info.id,
          version: info.version,
          kind: 'net',
          requested: 'udp',
          target: 'udp',
          rule: 'default-deny',
        });
      }
      return original.apply(this, args);
    };
    Object.defineProperty(dgram.Socket.prototype, method, { value: guarded, writable: false, configurable: false });
  }

  // Listening makes the extension a server other processes (or the network) can reach.
  const originalListen = net.Server.prototype.listen;
  const guardedListen = function (this: net.Server, ...args: unknown[]) {
    if (!info.net.some((p) => p.trim() === '*')) throw netDenied('listen for connections', 'listen');
    return (originalListen as (...a: unknown[]) => net.Server).apply(this, args);
  };
  Object.defineProperty(net.Server.prototype, 'listen', { value: guardedListen, writable: false, configurable: false });

  // Signals: only to itself (without bubblewrap the host and every other process of the user are
  // visible; SIGUSR1 would open the host's inspector), and to the processes it started itself;
  // never to its parent, another process or a process group.
  const originalKill = process.kill.bind(process);
  // The processes it started itself (every async start goes through ChildProcess#spawn).
  const started = new Set<number>();
  if (info.childProcess === true) {
    const proto = childProcess.ChildProcess.prototype as unknown as { spawn: (...a: unknown[]) => unknown };
    const originalSpawn = proto.spawn;
    Object.defineProperty(proto, 'spawn', {
      value: function (this: { pid?: number }, ...args: unknown[]) {
        const result = originalSpawn.apply(this, args);
        if (typeof this.pid === 'number') started.add(this.pid);
        return result;
      },
      writable: false,
      configurable: false,
    });
  }
  const guardedKill = (pid: number, signal?: string | number): true => {
    const n = Number(pid);
    const own = n === process.pid;
    const child = started.has(n);
    if (!own && !child) {
      throw denied(`Permission denied: ${who} may not send a signal (${String(signal ?? 'SIGTERM')}) to process ${String(pid)} (only to itself; rule default-deny).`, {
        extensionId: info.id,
        version: info.version,
        kind: 'signal',
        requested: `${String(signal ?? 'SIGTERM')} ${String(pid)}`,
        target: `pid ${String(pid)}`,
        rule: 'default-deny',
      });
    }
    return originalKill(pid, signal) as true;
  };
  Object.defineProperty(process, 'kill', { value: guardedKill, writable: false, configurable: false });
  const internals = process as unknown as Record<string, unknown>;
  if (typeof internals._kill === 'function') {
    const rawKill = internals._kill as (pid: number, sig: number) => number;
    Object.defineProperty(process, '_kill', {
      value: (pid: number, sig: number) => {
        guardedKill(pid, sig);
        return rawKill.call(process, pid, sig);
      },
      writable: false,
      configurable: false,
    });
  }

  // Native code is outside every wall but the OS ones: no addons (Node's model refuses them too).
  Object.defineProperty(process, 'dlopen', {
    value: (_module: unknown, filename: unknown) => {
      throw denied(`Permission denied: ${who} may not load native code (${String(filename)}; rule default-deny).`, {
        extensionId: info.id,
        version: info.version,
        kind: 'dlopen',
        requested: String(filename),
        target: String(filename),
        rule: 'default-deny',
      });
    },
    writable: false,
    configurable: false,
  });

  // The inspector runs any code in this process and listens on a port.
  const refuseInspector = (what: string) => (): never => {
    throw denied(`Permission denied: ${who} may not use the inspector (${what}; rule default-deny).`, {
      extensionId: info.id,
      version: info.version,
      kind: 'inspector',
      requested: what,
      target: 'inspector',
      rule: 'default-deny',
    });
  };
  // process._debugProcess(pid) sends SIGUSR1 to any pid below process.kill: without bubblewrap it
  // opens the host's (or any other Node process's) inspector on 127.0.0.1:9229.
  if (typeof internals._debugProcess === 'function') {
    Object.defineProperty(process, '_debugProcess', { value: (pid: unknown) => refuseInspector(`process._debugProcess(${String(pid)})`)(), writable: false, configurable: false });
  }
  const insp = inspector as unknown as Record<string, unknown>;
  Object.defineProperty(insp, 'open', { value: refuseInspector('inspector.open'), writable: false, configurable: false });
  const sessionProto = (inspector.Session as unknown as { prototype: Record<string, unknown> }).prototype;
  for (const name of ['connect', 'connectToMainThread']) {
    Object.defineProperty(sessionProto, name, { value: refuseInspector(`Session.${name}`), writable: false, configurable: false });
  }

  // Node's model refuses these too, but without saying what was started; name it for the audit.
  if (info.childProcess === false) {
    const cp = childProcess as unknown as Record<string, unknown>;
    for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
      const refuse = (command: unknown): never => {
        const target = typeof command === 'string' ? command.split(' ')[0]! : String(command);
        throw denied(`Permission denied: ${who} may not start a process ("${target}"; no child_process grant; rule default-deny).`, {
          extensionId: info.id,
          version: info.version,
          kind: 'child_process',
          requested: target,
          target,
          rule: 'default-deny',
        });
      };
      Object.defineProperty(cp, name, { value: refuse, writable: false, configurable: false });
    }
  }

  // Name lookups carry data out too (DNS exfiltration): no net grant, no lookups.
  if (info.net.length === 0) {
    const refuseDns = (method: string) => (): never => {
      throw denied(`Permission denied: ${who} may not resolve host names (dns.${method}; no net grant; rule default-deny).`, {
        extensionId: info.id,
        version: info.version,
        kind: 'net',
        requested: `dns.${method}`,
        target: 'dns',
        rule: 'default-deny',
      });
    };
    const targets = [dns as unknown as Record<string, unknown>, dns.promises as unknown as Record<string, unknown>, dns.Resolver.prototype as unknown as Record<string, unknown>, dns.promises.Resolver.prototype as unknown as Record<string, unknown>];
    for (const target of targets) {
      for (const name of Object.keys(target)) {
        if ((name === 'lookup' || name === 'lookupService' || name === 'reverse' || name.startsWith('resolve')) && typeof target[name] === 'function') {
          Object.defineProperty(target, name, { value: refuseDns(name), writable: false, configurable: false });
        }
      }
    }
  }

  if (info.withheldEnv.length > 0) {
    const withheld = new Set(info.withheldEnv);
    const env = process.env;
    // Reading a withheld name is refused loudly; every other name behaves as usual.
    process.env = new Proxy(env, {
      get(targetEnv, name, receiver) {
        if (typeof name === 'string' && withheld.has(name)) {
          throw denied(`Permission denied: ${who} may not read environment variable ${name} (not granted; rule default-deny).`, {
            extensionId: info.id,
            version: info.version,
            kind: 'env',
            requested: name,
            target: name,
            rule: 'default-deny',
          });
        }
        return Reflect.get(targetEnv, name, receiver);
      },
    });
  }
}

/**
 * Node's ERR_ACCESS_DENIED carries `permission` and `resource`, but only message, code and stack
 * cross the bus; so the stack's first line names them, for the host's audit entry.
 */
function annotateAccessDenied(): void {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error: Error & { code?: string; permission?: string; resource?: string }, frames) => {
    const text = previous ? String(previous(error, frames)) : `${String(error)}${frames.map((f) => `\n    at ${String(f)}`).join('')}`;
    if (error?.code !== 'ERR_ACCESS_DENIED') return text;
    const tag = ` [ERR_ACCESS_DENIED permission=${error.permission ?? 'unknown'}${error.resource ? ` resource=${error.resource}` : ''}]`;
    const newline = text.indexOf('\n');
    return newline === -1 ? text + tag : text.slice(0, newline) + tag + text.slice(newline);
  };
}

/**
 * Node 20 announces its permission model (`--experimental-permission`) with an ExperimentalWarning
 * at every start: on the user's terminal at each extension's start, about our flag, not their
 * code. Exactly that warning is dropped; every other warning (an extension's own experimental
 * features and deprecations included) is printed as before, and `--no-warnings` still silences all.
 * (`--disable-warning=ExperimentalWarning` would hide every experimental warning; the warning has
 * no code of its own to disable.) The warning is queued before this file loads and emitted on the
 * next tick, so re-wrapping Node's own printing listener here catches it.
 */
function dropPermissionModelWarning(): void {
  const printers = process.listeners('warning');
  if (printers.length === 0) return;
  for (const printer of printers) process.off('warning', printer);
  process.on('warning', (warning: Error) => {
    if (warning?.name === 'ExperimentalWarning' && /^Permission is an experimental feature\b/.test(warning.message)) return;
    for (const printer of printers) printer.call(process, warning);
  });
}

dropPermissionModelWarning();

const raw = process.env.SYMPHONY_SANDBOX;
if (raw) {
  delete process.env.SYMPHONY_SANDBOX;
  const info = JSON.parse(raw) as SandboxInfo;
  install(info);
  if (info.fs) {
    const who = `${info.id}@${info.version}`;
    guardFs(info.fs, (kind, requested, target) =>
      denied(`Permission denied: ${who} may not ${kind === 'fs.read' ? 'read' : 'write'} "${requested}"${target !== requested ? ` (resolves to ${target})` : ''}: not within a granted path (rule default-deny).`, {
        extensionId: info.id,
        version: info.version,
        kind,
        requested,
        target,
        path: target,
        rule: 'default-deny',
      }),
    );
  }
  // ESM named imports of built-ins (`import { readFileSync } from 'node:fs'`) see the guards too.
  syncBuiltinESMExports();
  annotateAccessDenied();
  Object.defineProperty(globalThis, Symbol.for('symphony.sandbox'), { value: Object.freeze({ id: info.id, version: info.version, policy: info.policy }) });
}
