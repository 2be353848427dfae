import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../src/index.js';
import { realKernel } from './real-kernel.js';

// Outsider attack on issue 14's "a step that returns nothing stores nothing", through the server.
let ctx: { url: string; home: string; token: string; close(): Promise<void> };
beforeAll(async () => {
  const home = mkdtempSync(join(tmpdir(), 'symphony-serve-nulls-'));
  const { kernel } = await realKernel(home);
  const server = await serve({ kernel, home, port: 0 });
  const { token } = await server.tokens.create('nulls', ['admin']);
  ctx = { url: server.url, home, token, close: () => server.close() };
});
afterAll(async () => {
  await ctx.close();
  rmSync(ctx.home, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${ctx.token}`, 'content-type': 'application/json' });

describe('a step that returns nothing, over the API', () => {
  it('POST /runs succeeds, GET /runs/:id shows the step without an output, and its lineage is 404 (was 200 with an empty lineage)', async () => {
    const workflow = {
      name: 'nulls-api',
      steps: [
        { id: 'n', uses: 'test.steps/nothing' },
        { id: 'r', uses: 'test.steps/echo', with: { v: '${{ steps.n.output }}', j: '${{ toJSON(steps.n.output) }}' } },
      ],
    };
    const res = await fetch(`${ctx.url}/runs`, { method: 'POST', headers: auth(), body: JSON.stringify({ workflow }) });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    let run: { status: string; steps: { stepId: string; state: string; output?: { name: string; version: number } }[] } | undefined;
    for (let i = 0; i < 200; i++) {
      run = (await (await fetch(`${ctx.url}/runs/${runId}`, { headers: auth() })).json()) as typeof run;
      if (run!.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(run!.status).toBe('succeeded');
    const n = run!.steps.find((s) => s.stepId === 'n')!;
    expect(n.state).toBe('done');
    expect(n.output).toBeUndefined();
    const r = run!.steps.find((s) => s.stepId === 'r')!;
    const body = await (await fetch(`${ctx.url}/artifacts/${encodeURIComponent(r.output!.name)}/versions/${r.output!.version}`, { headers: auth() })).text();
    expect(JSON.parse(body)).toEqual({ v: null, j: 'null' });
    expect((await fetch(`${ctx.url}/artifacts/${encodeURIComponent('nulls-api/n')}/versions/1`, { headers: auth() })).status).toBe(404);
    const lineage = await fetch(`${ctx.url}/artifacts/${encodeURIComponent('nulls-api/n')}/lineage/1`, { headers: auth() });
    expect(lineage.status).toBe(404);
    expect(await lineage.json()).toMatchObject({ code: 'E_NOT_FOUND' });
    expect((await fetch(`${ctx.url}/artifacts/${encodeURIComponent(r.output!.name)}/lineage/${r.output!.version}`, { headers: auth() })).status).toBe(200);
  });
});
