import type { Decision, DecisionAction, DecisionRule, ResourceRequest } from './types.js';

type Listener = (decision: Decision) => void;

export interface DecisionBus {
  listenerCount(event: string): number;
  emit(event: 'arbitration:decision', decision: Decision): unknown;
}

/**
 * A ring of recent decisions kept as parallel arrays (no object per decision on the hot path);
 * objects are built only for `recent()` and for listeners.
 */
export class DecisionLog {
  private readonly actions: DecisionAction[];
  private readonly rules: DecisionRule[];
  private readonly seqs: Float64Array;
  private readonly requests: (ResourceRequest | undefined)[];
  private readonly tenants: string[];
  private readonly shares: Float64Array;
  private readonly details: (string | undefined)[];
  private next = 0;
  total = 0;
  readonly counts: Record<DecisionAction, number> = { grant: 0, queue: 0, refuse: 0, preempt: 0, timeout: 0, abort: 0 };
  // Every key present from the start: one object shape, so the counter bump stays cheap.
  readonly byRule: Record<DecisionRule, number> = {
    'free-capacity': 0, priority: 0, 'fair-share': 0, drf: 0, fcfs: 0, preemption: 0, deadlock: 0, 'lock-order': 0, 'wait-limit': 0,
  };
  readonly listeners: Listener[] = [];

  constructor(
    readonly size: number,
    private readonly bus?: DecisionBus,
  ) {
    this.actions = new Array(size);
    this.rules = new Array(size);
    this.seqs = new Float64Array(size);
    this.requests = new Array(size);
    this.tenants = new Array(size);
    this.shares = new Float64Array(size);
    this.details = new Array(size);
  }

  add(action: DecisionAction, rule: DecisionRule, seq: number, request: ResourceRequest, tenant: string, share: number, detail?: string): void {
    const i = this.next;
    this.actions[i] = action;
    this.rules[i] = rule;
    this.seqs[i] = seq;
    this.requests[i] = request;
    this.tenants[i] = tenant;
    this.shares[i] = share;
    this.details[i] = detail;
    this.next = i + 1 === this.size ? 0 : i + 1;
    this.total++;
    this.counts[action]++;
    this.byRule[rule]++;
    // A decision object is built only when someone listens.
    const toBus = this.bus !== undefined && this.bus.listenerCount('arbitration:decision') !== 0;
    if (this.listeners.length !== 0 || toBus) {
      const decision = this.at(i);
      for (const listener of this.listeners) listener(decision);
      if (toBus) this.bus!.emit('arbitration:decision', decision);
    }
  }

  private at(i: number): Decision {
    const request = this.requests[i] as ResourceRequest;
    const seq = this.seqs[i] as number;
    const d: Decision = {
      seq: this.total - ((this.next - 1 - i + this.size) % this.size),
      action: this.actions[i] as DecisionAction,
      rule: this.rules[i] as DecisionRule,
      requestId: request.id ?? `${request.tenant}#${seq}`,
      tenant: this.tenants[i] as string,
      share: this.shares[i] as number,
    };
    const detail = this.details[i];
    if (detail !== undefined) d.detail = detail;
    return d;
  }

  /** Oldest first. */
  recent(limit = this.size): Decision[] {
    const n = Math.min(limit, this.total, this.size);
    const out: Decision[] = [];
    for (let k = n; k > 0; k--) out.push(this.at((this.next - k + this.size) % this.size));
    return out;
  }
}
