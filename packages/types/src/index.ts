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
export {
  StepIdSchema,
  ExtensionIdSchema,
  MethodNameSchema,
  UsesSchema,
  RetryPolicySchema,
  StepSchema,
  WorkflowInputSchema,
  WorkflowSchema,
  EXPRESSION,
  parseUses,
  findStepReferences,
  validateWorkflow,
  assertNever,
  type RetryPolicy,
  type Step,
  type WorkflowInput,
  type Workflow,
  type WorkflowSource,
  type Uses,
} from './workflow.js';
export {
  ArtifactRefSchema,
  ProducerSchema,
  ExtensionRefSchema,
  PluginDescriptorSchema,
  type ArtifactRef,
  type Producer,
  type ExtensionRef,
  type PluginDescriptor,
  type HealthStatus,
  type HealthReport,
} from './refs.js';
export type { RunEvents, StepLogEvent, KernelLifecycleEvents, SymphonyEvents, EventName } from './events.js';
export { silentLogger, type Logger } from './logger.js';
export type { LedgerService, LedgerDbOptions, LedgerStats } from './ledger.js';
export type { ArtifactData, ArtifactMeta, ArtifactVersion, ArtifactQuery, Artifact, ArtifactSelector, GcReport, ArtifactsService } from './artifacts.js';
