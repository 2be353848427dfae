import type { Grant, ResourceRequest, Strategy } from './types.js';

/** Internal state. Plain classes with fixed fields: one hidden shape each on the hot path. */
export class Resource {
  used = 0;
  /** Pending requests that touch this resource: while > 0, new requests queue behind them. */
  waiting = 0;
  /** Grants holding an exclusive resource (for the wait-for graph). */
  readonly holders: Set<GrantImpl> | undefined;
  constructor(
    readonly id: string,
    public capacity: number,
    readonly cls: string,
    readonly exclusive: boolean,
  ) {
    this.holders = exclusive ? new Set() : undefined;
  }
}

export class Tenant {
  readonly held = new Map<Resource, number>();
  dominant = 0;
  pending = 0;
  constructor(
    readonly id: string,
    public weight: number,
  ) {}

  recomputeDominant(): void {
    let max = 0;
    for (const [r, amount] of this.held) {
      const share = amount / r.capacity;
      if (share > max) max = share;
    }
    this.dominant = max;
  }
}

export class GrantImpl implements Grant {
  released = false;
  preempted = false;
  constructor(
    readonly id: number,
    readonly seq: number,
    readonly request: ResourceRequest,
    readonly owner: Tenant,
    readonly holder: string,
  ) {}
  get requestId(): string {
    return this.request.id ?? `${this.request.tenant}#${this.seq}`;
  }
  get tenant(): string {
    return this.owner.id;
  }
  get priority(): number {
    return this.request.priority ?? 0;
  }
  get amounts(): Readonly<Record<string, number>> {
    return this.request.amounts;
  }
  get preemptible(): boolean {
    return this.request.preemptible === true;
  }
}

export interface Pending {
  seq: number;
  request: ResourceRequest;
  tenant: Tenant;
  holder: string;
  strategy: Strategy;
  parts: [Resource, number][];
  /** Decision count when it was queued: the aging clock. */
  since: number;
  resolve(grant: GrantImpl): void;
  reject(err: Error): void;
  cleanup(): void;
}

export interface ClassQueue {
  strategy: Strategy;
  pending: Pending[];
}
