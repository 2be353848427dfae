// Types for host/server.mjs, for apps/server (TypeScript) mounting the same protocol.
import type { Server } from 'node:http';
import type { Kernel } from '@symphony/kernel';
import type { StageService } from '@symphony/extension-loader';
import type { StateStore } from '@symphony/state-sync';
import type { UiHost } from '@symphony/vdom';

export declare const defaultDist: string;
export declare const defaultExtensions: string;

export interface WebProtocol {
  /** The app's state document (extensions, motifs, pages, audit, ui). */
  store: StateStore;
  /** The vdom host: one tree per `<extensionId>:<viewName>`. */
  ui: UiHost;
  /** Adds the `/ws` WebSocket endpoint to an http server. */
  attach(server: Server): void;
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
