// An outsider's attack on "the home is never inside the workspace" (issue 15): a home that does not
// exist yet, named through a symbolic link into the workspace, passed the check (only existing
// paths were resolved), and the first `symphony run` created the home inside the workspace.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertHomeOutsideWorkspace } from '../src/index.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'symphony-outsider-home-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('assertHomeOutsideWorkspace', () => {
  it('refuses a home not created yet that a link places inside the workspace, at any depth', () => {
    const ws = join(root, 'ws');
    mkdirSync(join(ws, 'deep'), { recursive: true });
    symlinkSync(ws, join(root, 'alias'));
    for (const home of [join(root, 'alias', '.symphony'), join(root, 'alias', 'deep', 'a', 'b', 'home'), join(root, 'alias', 'x', '..', '.sym')]) {
      expect(() => assertHomeOutsideWorkspace(home, ws)).toThrow(expect.objectContaining({ code: 'E_HOME_IN_WORKSPACE' }));
    }
    // The other way round too: a workspace named through the link.
    expect(() => assertHomeOutsideWorkspace(join(ws, 'new-home'), join(root, 'alias'))).toThrow(expect.objectContaining({ code: 'E_HOME_IN_WORKSPACE' }));
  });

  it('accepts a home outside, existing or not', () => {
    const ws = join(root, 'ws2');
    mkdirSync(ws);
    expect(() => assertHomeOutsideWorkspace(join(root, 'elsewhere', 'symphony'), ws)).not.toThrow();
    expect(() => assertHomeOutsideWorkspace(join(root, 'ws2-sibling'), ws)).not.toThrow();
  });
});
