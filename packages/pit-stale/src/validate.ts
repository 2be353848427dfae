import { SymphonyError } from '@symphony/types';
import type { TraceInput } from './types.js';

/** Checks a trace at the boundary; lists every problem with its path. */
export function validateTrace(trace: TraceInput): void {
  const issues: { path: string; message: string }[] = [];
  const bad = (path: string, message: string): void => {
    issues.push({ path, message });
  };
  if (typeof trace !== 'object' || trace === null) bad('', 'a trace must be an object');
  else {
    if (typeof trace.questType !== 'string' || trace.questType.length === 0) bad('questType', 'must be a non-empty string');
    if (typeof trace.reward !== 'number' || !Number.isFinite(trace.reward)) bad('reward', 'must be a finite number');
    const state = trace.state;
    const values = Array.isArray(state) ? state.map((v, i) => [String(i), v] as const) : state && typeof state === 'object' ? Object.entries(state) : undefined;
    if (values === undefined) bad('state', 'must be an array or a record of numbers');
    else for (const [k, v] of values) if (typeof v !== 'number' || !Number.isFinite(v)) bad(`state.${k}`, 'must be a finite number');
    if (trace.action === undefined) bad('action', 'is required');
    if (trace.at !== undefined && !Number.isFinite(trace.at)) bad('at', 'must be epoch milliseconds');
    trace.artifacts?.forEach((a, i) => {
      if (typeof a?.name !== 'string' || !Number.isInteger(a?.version)) bad(`artifacts.${i}`, 'must be { name, version }');
    });
  }
  if (issues.length > 0) {
    throw new SymphonyError('E_INPUT_INVALID', `invalid trace: ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`, {
      details: { issues, questType: (trace as TraceInput | null)?.questType },
    });
  }
}
