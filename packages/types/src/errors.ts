/**
 * Every failure that crosses a package boundary is a SymphonyError with a stable `code`.
 * Codes are strings starting with `E_`; the known ones are listed so editors complete them,
 * and packages may add their own (`E_${string}`) without touching this file.
 */
export const ERROR_CODES = {
  E_INTERNAL: 'an unexpected failure inside Symphony (a bug: please report it)',
  E_INPUT_INVALID: 'an argument or payload failed validation',
  E_USAGE: 'a command was given arguments it does not accept (the CLIs exit 2)',
  E_CONFIG_INVALID: 'symphony.config failed validation',
  E_DESKTOP_NO_BROWSER: 'symphony desktop found no browser to open, or its app window exited with an error before showing',
  E_MANIFEST_INVALID: 'an extension manifest failed validation',
  E_MANIFEST_MISMATCH: "an extension's manifest disagrees with its code or its package.json (methods, input schemas, version)",
  E_WORKFLOW_INVALID: 'a workflow failed validation (details.diagnostics: file, line, column, stepId, message, suggestion)',
  E_EXPRESSION_INVALID: 'a ${{ }} expression does not parse or cannot be evaluated',
  E_NOT_FOUND: 'the named thing does not exist',
  E_CONFLICT: 'the request conflicts with the current state',
  E_TIMEOUT: 'the operation did not finish within its time limit',
  E_ABORTED: 'the operation was cancelled through its AbortSignal',
  E_CYCLE: 'a dependency graph has a cycle',
  E_PLUGIN_CYCLE: 'kernel plugins depend on each other in a cycle',
  E_PLUGIN_MISSING: 'a kernel plugin depends on a plugin that is not registered',
  E_PLUGIN_VERSION: "a plugin's version does not satisfy a dependent's `requires` range",
  E_PLUGIN_DUPLICATE: 'two plugins have the same name',
  E_PLUGIN_SETUP: "a plugin's setup threw",
  E_PLUGIN_START: "a plugin's start threw",
  E_PLUGIN_STOP: "one or more plugins' stop threw",
  E_PLUGIN_LOAD: 'a plugin named in config could not be imported',
  E_KERNEL_STATE: 'the kernel is not in a state that allows this call',
  E_SERVICE_UNKNOWN: 'no plugin offers a service by that name',
  E_PERMISSION_DENIED: 'the sandbox refused an operation',
  E_EXTENSION_CRASHED: 'the extension process or worker died during the call',
  E_EXTENSION_FAILED: 'the extension crashed too often and is disabled until re-enabled',
  E_METHOD_UNKNOWN: 'the extension has no such method',
  E_PAYLOAD_TOO_LARGE: 'a message exceeds the payload cap',
  E_ARTIFACT_CORRUPT: "an artifact's bytes do not match its hash",
  E_JOB_SIGNATURE: 'a scale-out job or result is unsigned or its HMAC does not verify (wrong or missing shared secret)',
  E_JOB_INVALID: 'a scale-out job payload has the wrong shape, names an extension the worker lacks, or exceeds the size limit',
  E_REDIS_UNAVAILABLE: 'the Redis server behind scale-out cannot be reached (dispatch pauses until it returns)',
  E_DEADLOCK: 'a resource request would deadlock and was refused',
  E_POOL_OVER_BUDGET: "a model's instance (declared or as it measures itself) can never fit the pool's memory budget",
  E_POOL_CLOSED: 'the pool is closed',
  E_POOL_LOAD_FAILED: "loading a model's instance failed; the model backs off",
  E_POOL_MODEL_FAILED: 'the model failed to load repeatedly and is in backoff',
  E_ARCHIVE_CORRUPT: 'an archive (its manifest, file or a record) does not match its checksums or is malformed',
  E_STALE_NO_ARCHIVE: 'pit.stale has no archive target configured for this call',
  E_STALE_LOCKED: 'another pit.stale instance (in this or another process) holds the ledger; one instance per ledger',
  E_STALE_CLOSED: 'the pit.stale instance was closed',
  E_RUN_LOCKED: 'another live process drives this run (its lease names pid, host and since); or this process lost the lease and its writes are refused',
  E_INTERRUPTED: 'a step was cut off by its host dying more times than `maxInterruptions` allows',
  E_LEDGER_FULL: 'the disk holding the ledger is full: free space, then resume the run',
  E_LEDGER_CORRUPT: "a ledger record's checksum does not match: it is damaged and is never read as a value",
  E_LEDGER_READONLY: 'the ledger is open read-only (or on a read-only disk) and cannot be written',
  E_LEDGER_WRITE: 'a write to the ledger failed',
  E_RESOURCE_LIMIT: 'an extension exceeded a resource limit (output, message size, memory) and was stopped',
  E_DEPENDENCY_INVALID: "an extension's package names a dependency that is not a valid npm name or resolves outside its own node_modules",
  E_FILES_TAMPERED: "an installed extension's files no longer match the hashes its publisher signed",
  E_HOME_IN_WORKSPACE: 'the Symphony home lies inside the workspace, where extensions and workflows could reach it',
  E_RATE_LIMITED: 'too many requests from one client; retry after the Retry-After delay',
  E_NAMESPACE_RESERVED: 'the namespace is reserved (symphony, or one the operator added): nobody may publish, trust or install under it',
  E_METADATA_UNSIGNED: 'a registry served package metadata without its signature',
  E_METADATA_INVALID: "a registry's signed metadata does not verify or is about another package",
  E_METADATA_EXPIRED: "a registry's freshness signature is missing or older than the client accepts (a mirror frozen in time)",
  E_METADATA_ROLLBACK: 'a registry served signed metadata older than the newest already seen from it (a stale mirror or a replay)',
  E_REGISTRY_KEY_CHANGED: 'a registry signed its metadata with another key than the one pinned or configured for it',
  E_DOWNGRADE_REFUSED: 'an update would go below the installed version; downgrades need an explicit install of that version',
  E_REGISTRY_STATE_INVALID: "the marketplace's record of registry keys and timestamps (.marketplace/registries.json) cannot be read",
  E_LOCKFILE_TAMPERED: "the lockfile was edited by hand (its own integrity, the registry's signed integrity or the signed manifest disagree)",
} as const;

export type KnownErrorCode = keyof typeof ERROR_CODES;
/** A known code, or any package-specific `E_*` code. */
export type ErrorCode = KnownErrorCode | `E_${string}`;

export interface SymphonyErrorJSON {
  name: 'SymphonyError';
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  stack?: string;
  cause?: SymphonyErrorJSON | { name: string; message: string; stack?: string };
}

// A registry symbol rather than instanceof: an ESM and a CJS copy of this package (or two
// installed versions) must still recognise each other's errors.
const BRAND = Symbol.for('symphony.error');

export class SymphonyError extends Error {
  override readonly name = 'SymphonyError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A plain, structured-clone and JSON safe form, for crossing threads, processes and HTTP. */
  toJSON(): SymphonyErrorJSON {
    const json: SymphonyErrorJSON = { name: 'SymphonyError', code: this.code, message: this.message };
    if (Object.keys(this.details).length > 0) json.details = this.details;
    if (this.stack) json.stack = this.stack;
    if (this.cause !== undefined) json.cause = causeToJSON(this.cause);
    return json;
  }

  /** Rebuilds an error sent with `toJSON()`, keeping the remote stack. */
  static fromJSON(json: SymphonyErrorJSON): SymphonyError {
    const cause = json.cause ? reviveCause(json.cause) : undefined;
    const err = new SymphonyError(json.code, json.message, { details: json.details ?? {}, cause });
    if (json.stack) err.stack = json.stack;
    return err;
  }
}

function causeToJSON(cause: unknown): SymphonyErrorJSON['cause'] {
  if (isSymphonyError(cause)) return cause.toJSON();
  if (cause instanceof Error) return { name: cause.name, message: cause.message, stack: cause.stack };
  return { name: 'Error', message: String(cause) };
}

function reviveCause(cause: NonNullable<SymphonyErrorJSON['cause']>): Error {
  if (cause.name === 'SymphonyError' && 'code' in cause) return SymphonyError.fromJSON(cause);
  const err = new Error(cause.message);
  err.name = cause.name;
  if (cause.stack) err.stack = cause.stack;
  return err;
}

export function isSymphonyError(value: unknown): value is SymphonyError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** True for an error with the given code, whichever copy of this package made it. */
export function hasErrorCode(value: unknown, code: ErrorCode): value is SymphonyError {
  return isSymphonyError(value) && value.code === code;
}

/**
 * Turns anything thrown into a SymphonyError: SymphonyErrors pass through, everything else is
 * wrapped with `fallbackCode` and kept as the `cause`.
 */
export function toSymphonyError(value: unknown, fallbackCode: ErrorCode = 'E_INTERNAL'): SymphonyError {
  if (isSymphonyError(value)) return value;
  if (value instanceof Error) return new SymphonyError(fallbackCode, value.message, { cause: value });
  return new SymphonyError(fallbackCode, String(value));
}
