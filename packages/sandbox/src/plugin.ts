import { homedir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, type Plugin } from '@symphony/kernel';
import type { PermissionRequest } from './permission-set.js';
import type { ResourceLimits } from './limits.js';
import { createSandbox, type SandboxService } from './sandbox.js';

declare module '@symphony/kernel' {
  interface Services {
    sandbox: SandboxService;
  }
}

/**
 * The kernel plugin `sandbox`. Options (`config.plugins.sandbox` or plugin options): `home`
 * (default `config.home` or ~/.symphony), `workspace` (default `config.workspace` or the cwd),
 * `limits`, `limitsFor` (per extension id), `deny`, `bubblewrap: 'auto' | 'off' | 'require'`, `trusted` (ids allowed in worker mode).
 */
export const sandboxPlugin: Plugin<SandboxService> = definePlugin<SandboxService>({
  name: 'sandbox',
  version: '0.1.0',
  setup(ctx) {
    const o = ctx.options as { home?: string; workspace?: string; limits?: Partial<ResourceLimits>; limitsFor?: Record<string, Partial<ResourceLimits>>; deny?: PermissionRequest; bubblewrap?: 'auto' | 'off' | 'require'; trusted?: string[] };
    const home = o.home ?? (ctx.config.home as string | undefined) ?? join(homedir(), '.symphony');
    const workspace = o.workspace ?? (ctx.config.workspace as string | undefined) ?? process.cwd();
    return createSandbox({
      home,
      workspace,
      logger: ctx.logger,
      ...(o.limits ? { limits: o.limits } : {}),
      ...(o.limitsFor ? { limitsFor: o.limitsFor } : {}),
      ...(o.deny ? { deny: o.deny } : {}),
      ...(o.bubblewrap ? { bubblewrap: o.bubblewrap } : {}),
      ...(o.trusted ? { trusted: o.trusted } : {}),
    });
  },
  stop(api) {
    api.close();
  },
  health(api) {
    return api.bubblewrap.available ? 'ok' : { status: 'degraded', detail: `bubblewrap unavailable: ${api.bubblewrap.reason}` };
  },
});
