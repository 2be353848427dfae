import { describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '@symphony/kernel';
import type { Logger } from '@symphony/types';
import { hooksPlugin } from '../src/index.js';

function recordingLogger(lines: unknown[]): Logger {
  const logger: Logger = {
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => void lines.push({ obj, msg }),
    error: () => {},
    child: () => logger,
  };
  return logger;
}

const step = { runId: 'r1', stepId: 's1', attempt: 1, at: 0 };

async function settle() {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('hooksPlugin', () => {
  it('offers the typed `hooks` service and bridges kernel and run events to hooks', async () => {
    const kernel: Kernel = createKernel({ plugins: [hooksPlugin] });
    const seen: string[] = [];
    // Hooks attached before start see kernel:started once the service exists: attach right after setup.
    kernel.events.on('plugin:setup', ({ name }) => {
      if (name !== 'hooks') return;
      const hooks = kernel.service('hooks');
      hooks.hook('kernel:started', ({ plugins }) => void seen.push(`started ${plugins.join(',')}`));
      hooks.hook('run:step:before', (e) => void seen.push(`before ${e.stepId}`));
      hooks.hook('run:step:after', (e) => void seen.push(`after ${e.stepId} ${e.durationMs}`));
      hooks.hook('kernel:stopped', () => void seen.push('stopped'));
    });
    await kernel.start();
    kernel.events.emit('step:start', step);
    kernel.events.emit('step:end', { ...step, durationMs: 5 });
    await kernel.stop();
    await settle();
    expect(seen).toEqual(['started hooks', 'before s1', 'after s1 5', 'stopped']);
  });

  it('logs a failing embedder hook instead of throwing into the event bus', async () => {
    const lines: unknown[] = [];
    const kernel = createKernel({ plugins: [hooksPlugin], logger: recordingLogger(lines) });
    await kernel.start();
    kernel.service('hooks').hook('run:step:error', () => {
      throw new Error('shell broke');
    });
    expect(() => kernel.events.emit('step:fail', { ...step, durationMs: 1, error: { name: 'SymphonyError', code: 'E_X', message: 'x' } })).not.toThrow();
    await settle();
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).toContain('run:step:error');
    await kernel.stop();
  });

  it('stops forwarding after stop, and does not bridge when `bridge: false`', async () => {
    const kernel = createKernel({ plugins: [hooksPlugin], config: { pluginOptions: { hooks: { bridge: false } } } });
    await kernel.start();
    let calls = 0;
    kernel.service('hooks').hook('run:end', () => void calls++);
    kernel.events.emit('run:end', { runId: 'r', status: 'succeeded', durationMs: 1, at: 0 });
    await settle();
    expect(calls).toBe(0);
    await kernel.stop();

    const bridged = createKernel({ plugins: [hooksPlugin] });
    await bridged.start();
    const hooks = bridged.service('hooks');
    hooks.hook('run:end', () => void calls++);
    await bridged.stop();
    bridged.events.emit('run:end', { runId: 'r', status: 'succeeded', durationMs: 1, at: 0 });
    await settle();
    expect(calls).toBe(0);
  });

  it('loads by package name from config (the `plugin` export)', async () => {
    const kernel = createKernel({ config: { plugins: ['@symphony/hooks'] }, importer: () => import('../src/index.js') });
    await kernel.start();
    expect(kernel.plugins).toEqual(['hooks']);
    await kernel.stop();
  });
});
