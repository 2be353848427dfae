import { SymphonyError, silentLogger, toSymphonyError, type ArtifactsService, type Logger } from '@symphony/types';
import type { DecisionContext } from './features.js';
import { createOnnxPolicy } from './onnx-policy.js';
import type { Decision, Policy } from './policy.js';
import { withReasons, type ExploreOptions } from './explore.js';

/**
 * Holds the policy in force. A new model is loaded and probed beside the current one and then
 * swapped in with one assignment, so no decision is dropped: decisions already handed to the
 * old policy finish on it before it is closed. A model that fails to load, or a policy that
 * starts returning non-finite output, leaves the previous policy (or the heuristic) in force,
 * and the manager says so in `status` and the log.
 */
export const POLICY_ARTIFACT = 'conductor-policy';
export const POLICY_ALIAS_NAME = 'production';

export interface PolicyStatus {
  name: string;
  version: string;
  source: 'onnx' | 'heuristic';
  /** Why the learned policy is not in force (set when a load or a decision failed). */
  degraded?: string;
}

export interface LoadOutcome {
  ok: boolean;
  version: string;
  error?: SymphonyError;
}

export class PolicyManager implements Policy {
  private current: Policy;
  private previous: Policy | undefined;
  private degraded: string | undefined;
  private readonly inFlight = new Map<Policy, number>();
  private readonly retiring = new Set<Policy>();

  constructor(
    private readonly fallback: Policy,
    private readonly logger: Logger = silentLogger,
    /** Bounded exploration of little-seen candidates (`false`: none; ties are still broken by estimate). */
    private readonly exploration: ExploreOptions | false = {},
  ) {
    this.current = fallback;
  }

  get name(): string {
    return this.current.name;
  }

  get version(): string {
    return this.current.version;
  }

  status(): PolicyStatus {
    return {
      name: this.current.name,
      version: this.current.version,
      source: this.current === this.fallback ? 'heuristic' : 'onnx',
      ...(this.degraded ? { degraded: this.degraded } : {}),
    };
  }

  /** Loads ONNX bytes; on success swaps them in, on failure keeps what is in force. */
  async load(bytes: Uint8Array, version: string): Promise<LoadOutcome> {
    try {
      const next = await createOnnxPolicy(bytes, version);
      this.swap(next);
      this.degraded = undefined;
      this.logger.info({ version }, 'conductor policy loaded');
      return { ok: true, version };
    } catch (err) {
      const error = toSymphonyError(err, 'E_POLICY_INVALID');
      this.degraded = `model ${version} was refused (${error.code}: ${error.message}); ${this.current.version} stays in force`;
      this.logger.warn({ err: error, version, inForce: this.current.version }, 'conductor policy refused');
      return { ok: false, version, error };
    }
  }

  /** Loads `conductor-policy@production` from the artifact store. */
  async loadFromStore(artifacts: ArtifactsService, alias: string = POLICY_ALIAS_NAME): Promise<LoadOutcome> {
    const artifact = artifacts.get(POLICY_ARTIFACT, alias);
    if (!artifact) {
      const error = new SymphonyError('E_NOT_FOUND', `no policy model at ${POLICY_ARTIFACT}@${alias} in the artifact store`, { details: { name: POLICY_ARTIFACT, alias } });
      this.degraded = `${error.message}; ${this.current.version} stays in force`;
      return { ok: false, version: `${POLICY_ARTIFACT}@${alias}`, error };
    }
    const version = String(artifact.info.attributes?.version ?? `${POLICY_ARTIFACT}@${artifact.info.version}`);
    return this.load(artifact.data, version);
  }

  /** Stores a model as the next version of `conductor-policy` and points `production` at it. */
  static async publish(artifacts: ArtifactsService, bytes: Uint8Array, attributes: Record<string, unknown>): Promise<string> {
    const ref = await artifacts.put(POLICY_ARTIFACT, bytes, { kind: 'model', contentType: 'application/onnx', attributes, aliases: [POLICY_ALIAS_NAME] });
    return `${ref.name}@${POLICY_ALIAS_NAME} (version ${ref.version})`;
  }

  decide(batch: readonly DecisionContext[]): Promise<number[]> {
    return this.decideDetailed(batch).then((ds) => ds.map((d) => d.action));
  }

  /** The policy's decisions, tie-broken and explored, each with its reason. */
  async decideDetailed(batch: readonly DecisionContext[]): Promise<Decision[]> {
    const decisions = await this.decideRaw(batch);
    if (this.exploration === false) return withReasons(batch.map((c) => ({ ...c, explore: false })), decisions);
    return withReasons(batch, decisions, this.exploration);
  }

  private async decideRaw(batch: readonly DecisionContext[]): Promise<Decision[]> {
    const policy = this.current;
    this.inFlight.set(policy, (this.inFlight.get(policy) ?? 0) + 1);
    try {
      if (policy.decideDetailed) return await policy.decideDetailed(batch);
      return (await policy.decide(batch)).map((action) => ({ action }));
    } catch (err) {
      if (policy === this.fallback) throw err;
      // A broken learned policy must not stop the run: step back and decide again.
      const error = toSymphonyError(err, 'E_POLICY_OUTPUT');
      const back = this.previous && this.previous !== policy ? this.previous : this.fallback;
      if (this.current === policy) {
        this.degraded = `policy ${policy.version} failed (${error.code}: ${error.message}); ${back.version} is in force`;
        this.logger.warn({ err: error, inForce: back.version }, 'conductor policy failed; stepping back');
        this.current = back;
        this.retire(policy);
      }
      return this.decideRaw(batch);
    } finally {
      const left = (this.inFlight.get(policy) ?? 1) - 1;
      this.inFlight.set(policy, left);
      if (left === 0 && this.retiring.has(policy)) void this.closeNow(policy);
    }
  }

  async close(): Promise<void> {
    const all = new Set([this.current, ...(this.previous ? [this.previous] : []), ...this.retiring]);
    for (const p of all) if (p !== this.fallback) await p.close?.();
    this.retiring.clear();
  }

  private swap(next: Policy): void {
    const old = this.current;
    this.current = next;
    if (this.previous && this.previous !== this.fallback) this.retire(this.previous);
    this.previous = old;
  }

  private retire(policy: Policy): void {
    if (policy === this.fallback || policy === this.current || policy === this.previous) return;
    this.retiring.add(policy);
    if ((this.inFlight.get(policy) ?? 0) === 0) void this.closeNow(policy);
  }

  private async closeNow(policy: Policy): Promise<void> {
    this.retiring.delete(policy);
    this.inFlight.delete(policy);
    await policy.close?.();
  }
}
