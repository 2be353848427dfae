import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, tempDir } from './helpers.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function node(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('symphony-registry (the bin, in real processes)', () => {
  it('adds a publisher from a .pub.json, serves on 127.0.0.1 and stops on SIGTERM', async () => {
    const dir = await tempDir('registry-bin');
    const key = generateKeyPair();
    await writeFile(join(dir, 'acme.pub.json'), JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey }));
    const added = await node(['add-publisher', '--dir', join(dir, 'reg'), '--name', 'acme', '--namespace', 'acme', '--key', join(dir, 'acme.pub.json')]);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'acme', namespaces: ['acme'], keys: [{ keyId: key.keyId }] });

    const bad = await node(['add-publisher', '--dir', join(dir, 'reg'), '--name', 'x', '--namespace', 'x', '--key', 'not-a-key']);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('E_KEY_INVALID') });
    expect((await node(['frobnicate', '--dir', dir])).code).toBe(2);
    // Options Node's parser refuses are usage errors too (exit 2), not internal ones.
    for (const args of [['serve', '--port'], ['add-publisher', '--dir', join(dir, 'reg'), '--bogus']]) {
      const r = await node(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('E_USAGE');
    }

    const server = spawn(process.execPath, [bin, 'serve', '--dir', join(dir, 'reg'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve) => {
      let out = '';
      server.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening (\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await (await fetch(new URL('-/ping', url))).json()).toEqual({ ok: true });
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('add-publisher --dir and a second serve refuse a folder a live server serves (E_CONFLICT); a killed server does not block it', async () => {
    const dir = await tempDir('registry-bin-served');
    const key = generateKeyPair();
    await writeFile(join(dir, 'acme.pub.json'), JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey }));
    const reg = join(dir, 'reg');
    const start = () => {
      const server = spawn(process.execPath, [bin, 'serve', '--dir', reg, '--port', '0', '--admin-token', 'T0ken'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const url = new Promise<string>((resolve) => {
        let out = '';
        server.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening (\S+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
      });
      const exited = new Promise<number | string | null>((resolve) => server.on('exit', (code, signal) => resolve(code ?? signal)));
      return { server, url, exited };
    };
    const add = ['add-publisher', '--dir', reg, '--name', 'acme', '--namespace', 'acme', '--key', join(dir, 'acme.pub.json')];
    const first = start();
    try {
      const url = await first.url;
      const refused = await node(add);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('E_CONFLICT');
      expect(refused.stderr).toContain(`--registry ${url}`);
      await expect(access(join(reg, 'publishers.json'))).rejects.toThrow();
      const second = await node(['serve', '--dir', reg, '--port', '0']);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('E_CONFLICT');
    } finally {
      first.server.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    await expect(access(join(reg, 'serving.json'))).rejects.toThrow();

    // A server killed outright leaves its record behind; its process is gone, so nothing is blocked.
    const killed = start();
    await killed.url;
    killed.server.kill('SIGKILL');
    await killed.exited;
    await access(join(reg, 'serving.json'));
    // Nor does a record naming no process (pid 0 or -1 would mean "every process" to kill()).
    for (const bogus of ['{"pid":-1}', '{"pid":0}', '{"pid":"1"}', 'not json']) {
      await writeFile(join(reg, 'serving.json'), bogus);
      const second = start();
      expect(await second.url).toMatch(/^http:/);
      second.server.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
    await writeFile(join(reg, 'serving.json'), '{"pid":-1}');
    const added = await node(add);
    expect(added.code, added.stderr).toBe(0);
    expect(await readFile(join(reg, 'publishers.json'), 'utf8')).toContain('"acme"');
  }, 30_000);

  it('add-publisher --registry registers on the running server (its admin token), not in a folder', async () => {
    const dir = await tempDir('registry-bin-remote');
    const key = generateKeyPair();
    await writeFile(join(dir, 'beta.pub.json'), JSON.stringify({ keyId: key.keyId, publicKey: key.publicKey }));
    const server = spawn(process.execPath, [bin, 'serve', '--dir', join(dir, 'reg'), '--port', '0', '--admin-token', 'T0ken'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((resolve) => {
        let out = '';
        server.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening (\S+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
      });
      const args = ['add-publisher', '--registry', url, '--name', 'beta', '--namespace', 'beta', '--key', join(dir, 'beta.pub.json')];
      expect(await node(args)).toMatchObject({ code: 2, stderr: expect.stringContaining('--admin-token') });
      expect((await node([...args, '--admin-token', 'wrong'])).code).toBe(1);
      const added = await node([...args, '--admin-token', 'T0ken']);
      expect(added.code, added.stderr).toBe(0);
      expect(JSON.parse(added.stdout)).toMatchObject({ name: 'beta', namespaces: ['beta'] });
      // The server itself recorded it (the CLI never opened the folder).
      expect(await readFile(join(dir, 'reg', 'publishers.json'), 'utf8')).toContain('"beta"');
    } finally {
      server.kill('SIGTERM');
    }
  }, 30_000);
});
