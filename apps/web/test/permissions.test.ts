import { describe, expect, it } from 'vitest';
import { permissionLines } from '../src/pages/permissions.js';

describe('extension permissions as a readable list', () => {
  it('one line per grant, network access and wildcards flagged, empty and false grants left out', () => {
    const lines = permissionLines({
      fs: { read: ['${workspace}/**', '/etc/hosts'], write: [] },
      net: { hosts: ['*'] },
      exec: { commands: ['git'] },
      env: false,
      cpu: { maxMs: 2000 },
    });
    expect(lines).toEqual([
      { path: 'fs.read', values: ['${workspace}/**', '/etc/hosts'], network: false, wildcard: true },
      { path: 'net.hosts', values: ['*'], network: true, wildcard: true },
      { path: 'exec.commands', values: ['git'], network: false, wildcard: false },
      { path: 'cpu.maxMs', values: ['2000'], network: false, wildcard: false },
    ]);
    expect(permissionLines({})).toEqual([]);
  });
});
