export { createArbiter, type ArbiterService } from './service.js';
export { arbitrationPlugin, type ArbitrationPluginOptions } from './plugin.js';
export { jainIndex } from './metrics.js';
export type {
  ArbiterMetrics,
  ArbiterOptions,
  Decision,
  DecisionAction,
  DecisionRule,
  Grant,
  ResourceRequest,
  ResourceSpec,
  ShareSample,
  Strategy,
  TenantMetrics,
  WaitOptions,
} from './types.js';
