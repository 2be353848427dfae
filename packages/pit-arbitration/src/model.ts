import type { IndexedHeap } from './heap.js';
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

/** What one tenant holds of one resource; kept (at 0) once created, so the hot path never re-inserts. */
export class Holding {
  amount = 0;
  constructor(readonly resource: Resource) {}
}

export class Tenant {
  /** Lookup by resource, and the same holdings as an array for cheap scans. */
  readonly byResource = new Map<Resource, Holding>();
  readonly holdings: Holding[] = [];
  /** This tenant's waiting requests per tenant-keyed class (fair-share, DRF). */
  readonly queues: TenantQueue[] = [];
  dominant = 0;
  pending = 0;
  constructor(
    readonly id: string,
    public weight: number,
  ) {}

  holding(r: Resource): Holding {
    let h = this.byResource.get(r);
    if (h === undefined) {
      h = new Holding(r);
      this.byResource.set(r, h);
      this.holdings.push(h);
    }
    return h;
  }

  held(r: Resource): number {
    return this.byResource.get(r)?.amount ?? 0;
  }

  holdsAnything(): boolean {
    for (const h of this.holdings) if (h.amount > 1e-12) return true;
    return false;
  }

  recomputeDominant(): void {
    let max = 0;
    const holdings = this.holdings;
    for (let i = 0; i < holdings.length; i++) {
      const h = holdings[i] as Holding;
      const share = h.amount / h.resource.capacity;
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
  heapIndex: number;
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

/** One tenant's FIFO of requests in one fair-share/DRF class: the heap entry of those classes. */
export class TenantQueue {
  heapIndex = -1;
  readonly requests: Pending[] = [];
  constructor(
    readonly tenant: Tenant,
    readonly queue: ClassQueue,
  ) {}
}

/**
 * The waiting requests of one resource class. Priority and FCFS classes heap the requests
 * themselves (their keys never change while waiting: aging adds the same amount to all); fair-share
 * and DRF classes heap tenants, re-keyed whenever a tenant's share changes.
 */
export interface ClassQueue {
  name: string;
  strategy: Strategy;
  byTenant: boolean;
  /** All waiting requests, in arrival order. */
  pending: Set<Pending>;
  heap: IndexedHeap<Pending> | IndexedHeap<TenantQueue>;
  /** Resources in the class: once all are blocked, a dispatch pass can stop. */
  resources: number;
}
