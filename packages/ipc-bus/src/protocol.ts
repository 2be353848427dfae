/**
 * The whole wire protocol between a host and an extension, in one place (after VS Code's
 * `extHost.protocol.ts`). Only plain data crosses: every message is a small tuple whose first
 * element is an opcode, and every frame on the wire is an array of messages posted in the same
 * tick, so pipelined calls cost one postMessage per batch rather than one per call.
 */
import type { SymphonyErrorJSON } from '@symphony/types';

export const Op = {
  /** host → extension: call `method` with `input`. `flags` bit 1: the caller wants progress. */
  Request: 0,
  /** extension → host: these request ids were received (a reply implies its own ack). */
  Ack: 1,
  /** extension → host: the call finished with `result`. */
  Reply: 2,
  /** extension → host: the call failed; the error keeps `code`, `message`, `stack`, `details`. */
  Fail: 3,
  /**
   * host → extension: abort the handler's `ctx.signal` for this id. Once the handler settles, the
   * extension still sends a small `Fail` (`E_ABORTED`) for the id: the host learns the instance let
   * go of the call (one that never does is terminated after the host's grace).
   */
  Cancel: 4,
  /** extension → host: a named event with a payload (`ctx.emit`). */
  Event: 5,
  /** extension → host: progress of one call (`ctx.progress(fraction, message)`). */
  Progress: 6,
  /** host → extension: a health ping, answered from the frame handler, so a busy loop misses it. */
  Ping: 7,
  /** extension → host: the answer to a ping with the same sequence number. */
  Pong: 8,
  /** extension → host: the server is listening; carries the method names it serves. */
  Ready: 9,
  /** extension → host: a structured log line (`ctx.log`), re-logged by the host with the id. */
  Log: 10,
  /** host → extension: finish in-flight calls, then exit on your own. */
  Shutdown: 11,
} as const;

export type RequestFlags = number;
export const FLAG_PROGRESS = 1;

export type RequestMessage = [op: 0, id: number, method: string, input: unknown, flags: RequestFlags];
export type AckMessage = [op: 1, ids: number[]];
export type ReplyMessage = [op: 2, id: number, result: unknown];
export type FailMessage = [op: 3, id: number, error: SymphonyErrorJSON];
export type CancelMessage = [op: 4, id: number];
export type EventMessage = [op: 5, name: string, payload: unknown];
export type ProgressMessage = [op: 6, id: number, fraction: number, message: string | undefined];
export type PingMessage = [op: 7, seq: number];
/** `memory`: the answering instance's `[heapUsed, rss]` in bytes (absent from older peers). */
export type PongMessage = [op: 8, seq: number, memory?: [heapUsed: number, rss: number]];
export type ReadyMessage = [op: 9, info: ReadyInfo];
export type LogMessage = [op: 10, level: LogLevel, message: string, fields: Record<string, unknown> | undefined];
export type ShutdownMessage = [op: 11];

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface ReadyInfo {
  /** Method names the extension serves; the host rejects others at once with E_METHOD_UNKNOWN. */
  methods: string[];
  pid: number;
  /**
   * The peer reports when a cancelled handler settles (the `Fail` after `Cancel`). Absent from
   * peers built with an older SDK: for them only a busy instance (no pong) is terminated.
   */
  letGo?: boolean;
}

export type HostMessage = RequestMessage | CancelMessage | PingMessage | ShutdownMessage;
export type ExtensionMessage =
  | AckMessage
  | ReplyMessage
  | FailMessage
  | EventMessage
  | ProgressMessage
  | PongMessage
  | ReadyMessage
  | LogMessage;
export type Message = HostMessage | ExtensionMessage;

/** One postMessage / one socket frame: the messages queued during one tick. */
export type Frame = Message[];

/** True for something shaped like a frame; anything else from a peer is a protocol error. */
export function isFrame(value: unknown): value is Frame {
  if (!Array.isArray(value)) return false;
  for (const m of value) if (!Array.isArray(m) || typeof m[0] !== 'number') return false;
  return true;
}
