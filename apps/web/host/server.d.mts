// Types for host/server.mjs, for apps/server (TypeScript) mounting the same protocol.
import type { Server } from 'node:http';
import type { Kernel } from '@symphony/kernel';
import type { StageService } from '@symphony/extension-loader';
import type { StateStore } from '@symphony/state-sync';
import type { UiHost } from '@symphony/vdom';

/** The slice of a `ws` WebSocket the protocol uses. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  on(event: 'message', listener: (data: unknown) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  terminate(): void;
}

/** What an authenticated socket may do and whose UI state it has. */
export interface WebAccess {
  session?: string;
  /** The session ends with this socket: its views are closed at once. */
  ephemeral?: boolean;
  can(scope: 'read' | 'run' | 'admin'): boolean;
}

export declare const defaultDist: string;
export declare const defaultExtensions: string;

export interface WebProtocol {
  /** The app's state document (extensions, motifs, pages, audit). */
  store: StateStore;
  /** The vdom host: one tree per `<extensionId>:<viewName>` (per session: `<extensionId>:<viewName>~<session>`). */
  ui: UiHost;
  /** Adds an unauthenticated `/ws` WebSocket endpoint to an http server (the test host). */
  attach(server: Server): void;
  /**
   * Serves one already accepted (and authenticated) WebSocket with the protocol. `access.session`
   * (1-64 of `[A-Za-z0-9_-]`) gives the session its own views (selection, filters); `access.can`
   * answers whether the caller holds a scope, checked for every state change (enabling an
   * extension needs `admin`). Without `access`: shared views, everything allowed (the test host).
   */
  connect(socket: WebSocketLike, access?: WebAccess): void;
  /** Feeds the run monitor a workflow run and the artifact browser its artifacts. */
  playDemo(options?: { delayMs?: number; loop?: boolean }): Promise<void>;
  close(): void;
}

/** The protocol over a kernel's `stage` service; `stateDir` persists the state document in LMDB. */
export declare function createWebProtocol(options: { stage: StageService; stateDir?: string }): Promise<WebProtocol>;

export interface WebHost {
  url: string;
  port: number;
  kernel: Kernel;
  stage: StageService;
  protocol: WebProtocol;
  close(): Promise<void>;
}

/** The test host: the built app, `/ws`, a kernel running `extensionsDir`'s motifs in worker threads. */
export declare function startWebHost(options?: {
  port?: number;
  host?: string;
  dist?: string;
  extensionsDir?: string;
  stateDir?: string;
  watch?: boolean;
  demo?: 'instant' | 'live' | false;
}): Promise<WebHost>;
