import type { PolicyStatus } from '@symphony/conductor';
import { bar, ce as c, isInteractive, ms } from './term.js';

interface StepLine {
  state: 'ready' | 'running' | 'retrying' | 'done' | 'failed' | 'skipped' | 'cancelled';
  attempt: number;
  startedAt: number;
  durationMs?: number;
  fraction?: number;
  message?: string;
}

/** Live progress: on a TTY a block redrawn in place, otherwise one line per state change. */
export class RunView {
  private readonly steps = new Map<string, StepLine>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  header(title: string, policy: PolicyStatus): void {
    process.stderr.write(`${c.bold('symphony')} ${title}\n${c.dim(`policy ${policy.version} (${policy.source})${policy.degraded ? ` · ${policy.degraded}` : ''}`)}\n`);
    if (isInteractive) this.timer = setInterval(() => this.draw(), 100);
  }

  on(event: string, e: Record<string, unknown>): void {
    const id = e.stepId as string | undefined;
    if (!id) return;
    const now = Date.now();
    const line = this.steps.get(id) ?? { state: 'ready', attempt: 0, startedAt: now };
    switch (event) {
      case 'step:ready':
        line.state = 'ready';
        break;
      case 'step:start':
        Object.assign(line, { state: 'running', attempt: e.attempt as number, startedAt: now });
        break;
      case 'step:progress':
        line.fraction = e.fraction as number;
        line.message = e.message as string | undefined;
        break;
      case 'step:retry':
        Object.assign(line, { state: 'retrying', attempt: e.attempt as number, message: (e.error as { code: string }).code });
        break;
      case 'step:end':
        Object.assign(line, { state: e.skipped ? 'skipped' : 'done', durationMs: e.durationMs as number, attempt: e.attempt as number });
        break;
      case 'step:fail':
        // An attempt a cancel cut off (E_ABORTED) is cancelled, not failed.
        Object.assign(line, { state: (e.error as { code?: string }).code === 'E_ABORTED' ? 'cancelled' : 'failed', durationMs: e.durationMs as number, message: (e.error as { message: string }).message });
        break;
      default:
        return;
    }
    this.steps.set(id, line);
    if (!isInteractive && event !== 'step:progress' && event !== 'step:ready') process.stderr.write(`${this.format(id, line)}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (isInteractive) this.draw();
  }

  private draw(): void {
    const lines = [...this.steps].map(([id, line]) => this.format(id, line));
    if (this.drawn > 0) process.stderr.write(`\u001b[${this.drawn}A`);
    for (const l of lines) process.stderr.write(`\r\u001b[2K${l}\n`);
    this.drawn = lines.length;
  }

  private format(id: string, line: StepLine): string {
    const icon = { ready: c.dim('○'), running: c.cyan('●'), retrying: c.yellow('↻'), done: c.green('✔'), failed: c.red('✖'), skipped: c.dim('–'), cancelled: c.yellow('■') }[line.state];
    const elapsed = line.durationMs ?? Date.now() - line.startedAt;
    const progress = line.state === 'running' && line.fraction !== undefined ? ` ${bar(line.fraction, 16)}` : '';
    const attempt = line.attempt > 1 ? c.yellow(` attempt ${line.attempt}`) : '';
    const note = line.message && line.state !== 'done' && line.state !== 'cancelled' ? c.dim(` ${line.message.slice(0, 60)}`) : '';
    return `${icon} ${id.padEnd(14)} ${line.state.padEnd(8)} ${line.state === 'ready' || line.state === 'skipped' ? '' : ms(elapsed).padStart(8)}${progress}${attempt}${note}`;
  }
}
