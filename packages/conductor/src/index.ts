export { createRng, type Rng } from './rng.js';
export {
  ACTIONS,
  FEATURES,
  FEATURE_NAMES,
  GIVE_UP,
  MAX_CANDIDATES,
  STEP_KINDS,
  encodeBatch,
  type CandidateView,
  type DecisionContext,
  type EncodedBatch,
} from './features.js';
export { HistoryBook, DEFAULT_REWARD, rewardOf, predictLatencyMs, qualityFor, type CallOutcome, type CandidateStats, type RewardWeights } from './history.js';
export type { Policy, SyncPolicy } from './policy.js';
export { createHeuristic, expectedCallValue, sampleBeta, HEURISTICS, STRONG_BASELINES, TUNED, type HeuristicName, type HeuristicOptions, type StrongBaseline } from './heuristics.js';
export { createOracle, trueCallValue, trueFailureProbability, ORACLE_RETRY_COST, type InformedPolicy, type OracleOptions } from './oracle.js';
export { createMlpPolicy } from './mlp-policy.js';
export { createOnnxPolicy, type OnnxPolicy } from './onnx-policy.js';
export { exportPolicyOnnx, importPolicyOnnx, POLICY_IO } from './onnx-export.js';
export { generateQuest, playQuest, gameCallReward, MAX_ATTEMPTS, KIND_QUALITY_WEIGHT, DEADLINE_PENALTY, CRITICAL_LATENCY_WEIGHT, SLACK_LATENCY_WEIGHT, OVER_BUDGET_WEIGHT, type Quest, type QuestCandidate, type QuestStep, type QuestResult, type DecideFn, type HiddenView, type PlayOptions } from './fqg.js';
export { train, DEFAULT_TRAIN, type TrainOptions, type TrainProgress, type TrainResult, type CurvePoint } from './trainer.js';
export type { Mlp, Layer } from './mlp.js';
export {
  evaluateAll,
  evaluatePolicy,
  evaluateSuite,
  compare,
  meanCi,
  tuneBaselines,
  strongBaselines,
  TUNING_GRID,
  type EvalReport,
  type EvaluablePolicy,
  type PolicySummary,
  type Comparison,
  type SuiteOptions,
  type TunedBaselines,
} from './evaluate.js';
export { heldOutSeeds, validationSeeds, trainingQuestSeed, HELD_OUT_BASE, VALIDATION_BASE, VALIDATION_SPAN, TRAIN_BASE } from './seeds.js';
export { gateCandidate, publishCandidate, promote, rollback, storedPolicy, CANDIDATE, PRODUCTION, PREVIOUS, type GateResult } from './lifecycle.js';
export {
  trainPolicy,
  writePolicyFiles,
  readBundledPolicy,
  bundledModelDir,
  DEFAULT_EPISODES,
  POLICY_ALIAS,
  POLICY_FILE,
  type PolicyBundle,
  type PolicyMetadata,
  type TrainedPolicy,
} from './policy-file.js';
export { curveSvg } from './curve-svg.js';
export { PolicyManager, POLICY_ARTIFACT, type PolicyStatus, type LoadOutcome } from './model-manager.js';
export type { Decision } from './policy.js';
export { reasonFor, withReasons, describeReason, EXPLORE_DEFAULTS, type ExploreOptions, type DecisionReason, type CandidateReason } from './explore.js';
export {
  COLD_START_PRIOR_MS,
  createConductor,
  DEFAULT_CRASH_BUDGET,
  STEP_LOG_LIMITS,
  type Conductor,
  type ConductorOptions,
  type ConductorServices,
  type RunHandle,
  type RunOptions,
  type RerunOptions,
  type StepContext,
  type StepFunction,
  type StepRegistration,
} from './conductor.js';
export type { RunResult, StepSummary, DagPort } from './dag-execution.js';
export { inspectRuns, type RunViews } from './run-views.js';
export type { RunRecord, StepRecord, DecisionRecord, RunStatus, StepState } from './run-store.js';
export type { Candidate, StagePort, ArbiterPort, PoolPort, QueueFigures, MetricsPort, StageCallOptions } from './ports.js';
export { conductorPlugin, createConductorPlugin, type ConductorPluginOptions } from './plugin.js';
export { loadWorkflowFile, parseWorkflowText, resolveInputs } from './workflow-file.js';
export { fineTune, maskOf, type LoggedDecision, type FineTuneOptions } from './fine-tune.js';
export {
  validateWorkflowSource,
  parseWorkflowSource,
  loadWorkflow,
  formatDiagnostics,
  workflowInvalid,
  didYouMean,
  type WorkflowDiagnostic,
  type ExtensionCatalogEntry,
  type ValidateWorkflowOptions,
  type WorkflowValidation,
} from './workflow-validate.js';
