import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createKernel, definePlugin } from '@symphony/kernel';
import { isSymphonyError, type Logger } from '@symphony/types';
import { closeLogger, createLazyLogger, createLogger, extensionLogger, flushLogger, pluginLogger } from '../src/index.js';

/** A real stream that collects what is written to it; `tty` makes it claim to be a terminal. */
function sink(tty = false) {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  if (tty) Object.assign(stream, { isTTY: true });
  return { stream, text: () => chunks.join(''), lines: () => chunks.join('').split('\n').filter(Boolean) };
}

const tempDir = () => mkdtemp(join(tmpdir(), 'symphony-logging-'));

describe('createLogger', () => {
  it('writes JSON lines when the destination is not a TTY, with child loggers per plugin and extension', () => {
    const out = sink();
    const logger = createLogger({ destination: out.stream, level: 'debug', name: 'symphony' });
    logger.info({ runs: 2 }, 'booted');
    pluginLogger(logger, 'pit.dag').debug('ready');
    extensionLogger(logger, 'acme.csv', '1.2.0').warn({ method: 'parse' }, 'slow');
    logger.trace('below the level');
    const lines = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ level: 30, name: 'symphony', runs: 2, msg: 'booted' });
    expect(lines[1]).toMatchObject({ level: 20, plugin: 'pit.dag', msg: 'ready' });
    expect(lines[2]).toMatchObject({ level: 40, extension: 'acme.csv', version: '1.2.0', method: 'parse', msg: 'slow' });
  });

  it('is pretty on a TTY, and JSON on a TTY when pretty is turned off', () => {
    const tty = sink(true);
    createLogger({ destination: tty.stream }).child({ plugin: 'pit.pool' }).info({ size: 3 }, 'warmed up');
    expect(tty.text()).toContain('warmed up');
    expect(tty.text()).toContain('pit.pool');
    expect(tty.text()).toMatch(/INFO/);
    expect(() => JSON.parse(tty.lines()[0] as string)).toThrow();

    const forced = sink(true);
    createLogger({ destination: forced.stream, pretty: false }).info('plain');
    expect(JSON.parse(forced.lines()[0] as string)).toMatchObject({ msg: 'plain' });
  });

  it('exports JSON lines to a file at its own level, creating folders, flushed on close', async () => {
    const dir = await tempDir();
    const path = join(dir, 'logs', 'nested', 'symphony.log');
    const out = sink();
    const logger = createLogger({ destination: out.stream, level: 'warn', file: { path, level: 'debug' } });
    const child = pluginLogger(logger, 'pit.artifacts');
    child.debug({ key: 'a' }, 'put');
    child.error({ err: new Error('disk full') }, 'put failed');
    flushLogger(child);
    await closeLogger(child);
    const fileLines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(fileLines.map((l) => l.msg)).toEqual(['put', 'put failed']);
    expect(fileLines[1]).toMatchObject({ plugin: 'pit.artifacts', err: { message: 'disk full', type: 'Error' } });
    expect(out.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['put failed']);
  });

  it('keeps lines in order when flushed while a write is in flight', async () => {
    const dir = await tempDir();
    const path = join(dir, 'order.log');
    const logger = createLogger({ destination: sink().stream, level: 'error', file: { path, level: 'debug' } });
    for (let i = 0; i < 300; i++) {
      logger.debug({ i }, 'line');
      if (i % 50 === 0) flushLogger(logger);
    }
    await closeLogger(logger);
    const seen = (await readFile(path, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('appends to an existing file and redacts secrets', async () => {
    const dir = await tempDir();
    const path = join(dir, 'app.log');
    await writeFile(path, '{"msg":"earlier"}\n');
    const logger = createLogger({ destination: sink().stream, file: path, redact: ['token'] });
    logger.info({ token: 's3cret' }, 'login');
    await closeLogger(logger);
    const text = await readFile(path, 'utf8');
    expect(text.startsWith('{"msg":"earlier"}\n')).toBe(true);
    expect(text).toContain('"token":"[redacted]"');
    expect(text).not.toContain('s3cret');
  });

  it('refuses a bad level (E_INPUT_INVALID) and an unopenable file (E_LOG_FILE), naming them', async () => {
    const bad = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(isSymphonyError(err)).toBe(true);
        return err as { code: string; details: Record<string, unknown> };
      }
      throw new Error('expected a throw');
    };
    expect(bad(() => createLogger({ level: 'loud' as never })).details).toMatchObject({ field: 'level', value: 'loud' });
    const dir = await tempDir();
    await writeFile(join(dir, 'a-file'), '');
    const err = bad(() => createLogger({ destination: sink().stream, file: join(dir, 'a-file', 'x.log') }));
    expect(err.code).toBe('E_LOG_FILE');
    expect(err.details.path).toBe(join(dir, 'a-file', 'x.log'));
  });

  it('is the kernel logger: each plugin logs through its own child', async () => {
    const out = sink();
    const logger: Logger = createLogger({ destination: out.stream });
    const kernel = createKernel({
      logger,
      plugins: [definePlugin({ name: 'pit.demo', version: '1.0.0', setup: (ctx) => ctx.logger.info({ step: 'setup' }, 'hello') })],
    });
    await kernel.start();
    await kernel.stop();
    expect(out.lines().map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ plugin: 'pit.demo', step: 'setup', msg: 'hello' }));
  });
});

describe('createLazyLogger', () => {
  it('creates its logger with the first line at its level, then writes what createLogger writes', () => {
    const out = sink();
    const logger = createLazyLogger({ destination: out.stream, level: 'warn', name: 'symphony' });
    const child = logger.child({ plugin: 'pit.dag' }).child({ runId: 'r1' });
    logger.debug('below the level');
    child.info({ n: 1 }, 'below the level');
    expect(out.text()).toBe('');
    child.warn({ step: 'b' }, 'a warning');
    logger.error('root line');
    const lines = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, name: 'symphony', plugin: 'pit.dag', runId: 'r1', step: 'b', msg: 'a warning' }),
      expect.objectContaining({ level: 50, name: 'symphony', msg: 'root line' }),
    ]);
    expect(lines[1]).not.toHaveProperty('plugin');
  });

  it('with a file, opens it at once: an unopenable one fails there (E_LOG_FILE), never in a later log call', async () => {
    const dir = await tempDir();
    const file = join(dir, 'logs', 'lazy.log');
    createLazyLogger({ destination: sink().stream, level: 'error', file: { path: file, level: 'info' } });
    expect(existsSync(file)).toBe(true);
    await writeFile(join(dir, 'a-file'), '');
    let err: unknown;
    try {
      createLazyLogger({ destination: sink().stream, file: join(dir, 'a-file', 'x.log') });
    } catch (e) {
      err = e;
    }
    expect(isSymphonyError(err) && err.code).toBe('E_LOG_FILE');
  });

  it('refuses a bad level at once, before any line', () => {
    for (const options of [{ level: 'loud' }, { file: { path: join(tmpdir(), 'never.log'), level: 'chatty' } }]) {
      let err: unknown;
      try {
        createLazyLogger(options as never);
      } catch (e) {
        err = e;
      }
      expect(isSymphonyError(err) && err.code).toBe('E_INPUT_INVALID');
    }
  });

  it('is silent at level silent, and serves as the kernel logger', async () => {
    const quiet = sink();
    createLazyLogger({ destination: quiet.stream, level: 'silent' }).error('dropped');
    expect(quiet.text()).toBe('');
    const out = sink();
    const kernel = createKernel({
      logger: createLazyLogger({ destination: out.stream }),
      plugins: [definePlugin({ name: 'pit.demo', version: '1.0.0', setup: (ctx) => ctx.logger.info({ step: 'setup' }, 'hello') })],
    });
    await kernel.start();
    await kernel.stop();
    expect(out.lines().map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ plugin: 'pit.demo', step: 'setup', msg: 'hello' }));
  });
});
