import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SymphonyError } from '@symphony/types';

export interface StartCandidate {
  id: string;
  version: string;
  /** The installed folder (through the live `extensions` link). */
  dir: string;
  main?: string;
}

/**
 * The default check after an install or update: each changed extension's entry module is
 * imported in a fresh Node process and must export a `define*()` definition. It catches a broken
 * build or a missing file without starting the extension host; an embedder with a kernel
 * passes a check that starts the extension through `stage` instead.
 */
export async function importCheck(candidate: StartCandidate, timeoutMs = 15_000): Promise<void> {
  if (!candidate.main) return; // a motif without code has nothing to start
  const url = pathToFileURL(join(candidate.dir, candidate.main)).href;
  // The same test the runtime entry applies: some export carries the define*() brand.
  const script = `const m = await import(${JSON.stringify(url)});
const brand = Symbol.for('symphony.extension');
const found = [m.default, m.default && m.default.default, m.extension].some((d) => d && typeof d === 'object' && d[brand] === true);
if (!found) { console.error('Error: the entry module exports no extension definition (export default defineOperator(...))'); process.exit(3); }`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      // Node prints the source line, a caret, then "Error: message": the error line says most.
      const lines = stderr.trim().split('\n').map((l) => l.trim()).filter(Boolean);
      const reason = lines.find((l) => /^[A-Za-z]*Error\b/.test(l)) ?? lines.at(-1) ?? `exit ${code ?? signal}`;
      reject(
        new SymphonyError('E_EXTENSION_START_FAILED', `${candidate.id}@${candidate.version} failed to start: ${reason}`, {
          details: { id: candidate.id, version: candidate.version, main: candidate.main, exitCode: code, signal },
        }),
      );
    });
  });
}
