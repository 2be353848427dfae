import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FILES_MANIFEST, GIT_MANIFEST, operatorEnvironment } from '../src/index.js';
import { tempDir } from './helpers.js';

let root: { dir: string; cleanup: () => void } | undefined;
afterEach(() => {
  delete process.env.SYMPHONY_WORKSPACE;
  root?.cleanup();
});

describe('the Operator base outside a sandbox (a trusted worker, a test)', () => {
  it('restrains itself to its manifest, with the workspace from SYMPHONY_WORKSPACE', () => {
    root = tempDir();
    const ws = join(root.dir, 'ws');
    mkdirSync(ws);
    writeFileSync(join(ws, 'a.txt'), 'a');
    process.env.SYMPHONY_WORKSPACE = ws;
    const env = operatorEnvironment(FILES_MANIFEST);
    expect(env).toMatchObject({ id: 'symphony.files', workspace: ws, sandboxed: false });
    expect(env.guard.read('a.txt')).toBe(join(ws, 'a.txt'));
    expect(env.guard.write('out/b.txt')).toBe(join(ws, 'out', 'b.txt'));
    expect(() => env.guard.read('/etc/passwd')).toThrow(expect.objectContaining({ code: 'E_PERMISSION_DENIED', details: expect.objectContaining({ extensionId: 'symphony.files', path: '/etc/passwd' }) }));
    // symphony.git asks to read the workspace only.
    expect(() => operatorEnvironment(GIT_MANIFEST).guard.write('x.txt')).toThrow(expect.objectContaining({ code: 'E_PERMISSION_DENIED' }));
    expect(operatorEnvironment(GIT_MANIFEST).policy.decide({ kind: 'child_process', command: 'git' }).allow).toBe(true);
  });
});
