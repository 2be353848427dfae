import type { Launched, Launcher, LaunchSpec } from './launcher.js';

export interface WarmLauncherOptions {
  /** Spare workers kept booted. */
  size: number;
  /** How a spare is started: a worker whose entry boots, then waits for its first message. */
  spare: Omit<LaunchSpec, 'id'>;
  /** The first message that tells a spare which extension to become. */
  load: (spec: LaunchSpec) => unknown;
  /** Which launches a spare may serve (default: worker mode with the spare's entry and heap limit). */
  fits?: (spec: LaunchSpec) => boolean;
}

export interface WarmLauncher extends Launcher {
  /** Launches served by a spare so far. */
  readonly served: number;
  /** Ends the spares. */
  close(): Promise<void>;
}

/**
 * Keeps `size` worker threads booted (runtime and dependencies loaded) so that activating an
 * extension costs one message and the extension's own module, not a thread start and every
 * import. Launches a spare cannot serve go to `base`. Workers only: a child process is started
 * per extension, with that extension's own sandboxed command line.
 */
export function createWarmLauncher(base: Launcher, options: WarmLauncherOptions): WarmLauncher {
  const spares: Array<{ launched: Promise<Launched>; exited: boolean }> = [];
  let closed = false;
  let served = 0;
  const fits =
    options.fits ??
    ((spec: LaunchSpec) => spec.mode === 'worker' && spec.entry === options.spare.entry && spec.memoryLimitMb === options.spare.memoryLimitMb);

  const refill = (): void => {
    while (!closed && spares.length < options.size) {
      const spare = { launched: base({ ...options.spare, id: '(spare)', mode: 'worker' }), exited: false };
      spare.launched.then(
        (l) => void l.exited.then(() => (spare.exited = true)),
        () => (spare.exited = true),
      );
      spares.push(spare);
    }
  };

  const launcher = (async (spec: LaunchSpec) => {
    if (closed || !fits(spec)) return base(spec);
    for (let spare = spares.shift(); spare; spare = spares.shift()) {
      const launched = await spare.launched.catch(() => undefined);
      if (!launched || spare.exited) continue; // a spare that died while waiting is skipped
      refill();
      launched.endpoint.postMessage(options.load(spec));
      served++;
      return launched;
    }
    refill();
    return base(spec);
  }) as WarmLauncher;

  Object.defineProperty(launcher, 'served', { get: () => served });
  launcher.close = async () => {
    closed = true;
    const all = spares.splice(0);
    await Promise.all(
      all.map(async (s) => {
        const launched = await s.launched.catch(() => undefined);
        if (!launched) return;
        launched.kill('SIGKILL');
        await launched.exited;
      }),
    );
  };

  refill();
  return launcher;
}
