// `@symphony/types/core`: everything of this package but the zod schemas, so it loads no zod.
// The packages a short command passes through (the kernel, the store, logging, the home) import
// this entry; `@symphony/types` re-exports all of it beside the schemas.
export {
  ERROR_CODES,
  SymphonyError,
  isSymphonyError,
  hasErrorCode,
  toSymphonyError,
  type ErrorCode,
  type KnownErrorCode,
  type SymphonyErrorJSON,
} from './errors.js';
export { formatPath, issuesFromZod, validationError, parseWith, type Issue } from './issues.js';
export type { RetryPolicy, Step, WorkflowInput, Workflow, WorkflowSource, Uses } from './workflow.js';
export type { ArtifactRef, Producer, ExtensionRef, PluginDescriptor, HealthStatus, HealthReport } from './refs.js';
export type { RunEvents, StepLogEvent, KernelLifecycleEvents, SymphonyEvents, EventName } from './events.js';
export { silentLogger, type Logger } from './logger.js';
export type { LedgerService, LedgerDbOptions, LedgerStats } from './ledger.js';
export type { ArtifactData, ArtifactMeta, ArtifactVersion, ArtifactQuery, Artifact, ArtifactSelector, GcReport, ArtifactsService } from './artifacts.js';
