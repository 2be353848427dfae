// A workflow run and an artifact store's contents for the demo and the browser tests.
import { createHash } from 'node:crypto';

const sha = (text) => createHash('sha256').update(text).digest('hex');
const ref = (name, version) => ({ name, version, hash: sha(`${name}@${version}`) });

/** `review`: files -> (lint, score) -> report, with progress logs and one retry. */
export function demoRun(runId) {
  const steps = [
    { id: 'files', uses: 'acme.files/list', needs: [] },
    { id: 'lint', uses: 'acme.lint/check', needs: ['files'] },
    { id: 'score', uses: 'capability:classify', needs: ['files'] },
    { id: 'report', uses: 'acme.report/write', needs: ['lint', 'score'] },
  ];
  let at = Date.UTC(2026, 10, 26, 9, 0, 0);
  const t = () => (at += 137);
  const e = (name, payload) => ({ name, payload: { runId, at: t(), ...payload } });
  const events = [
    e('run:start', { workflow: 'review', resumed: false }),
    e('step:ready', { stepId: 'files' }),
    e('step:start', { stepId: 'files', attempt: 1 }),
    e('step:progress', { stepId: 'files', fraction: 0.5, message: 'globbing src/**/*.ts' }),
    e('step:progress', { stepId: 'files', fraction: 1, message: 'found 42 files' }),
    e('step:end', { stepId: 'files', attempt: 1, durationMs: 84, output: { ...ref('files', 3), size: 2310 } }),
    e('step:ready', { stepId: 'lint' }),
    e('step:ready', { stepId: 'score' }),
    e('step:start', { stepId: 'lint', attempt: 1 }),
    e('step:start', { stepId: 'score', attempt: 1 }),
    e('step:progress', { stepId: 'lint', fraction: 0.4, message: 'checked 17/42 files' }),
    e('step:retry', { stepId: 'score', attempt: 2, delayMs: 250, error: { name: 'SymphonyError', code: 'E_TIMEOUT', message: 'instrument did not answer within 5000 ms' } }),
    e('step:progress', { stepId: 'lint', fraction: 1, message: 'checked 42/42 files, 3 warnings' }),
    e('step:end', { stepId: 'lint', attempt: 1, durationMs: 512, output: { ...ref('lint-report', 7), size: 880 } }),
    e('step:start', { stepId: 'score', attempt: 2 }),
    e('step:progress', { stepId: 'score', fraction: 0.7, message: 'scored 30 of 42 files' }),
  ];
  return { describe: { runId, workflow: 'review', steps }, events };
}

export function demoArtifacts() {
  return [
    { name: 'files', versions: [1, 2, 3].map((v) => ({ ...ref('files', v), size: 2000 + v * 100, producer: { runId: `run-${v}`, stepId: 'files', extensionId: 'acme.files' } })) },
    { name: 'lint-report', versions: [{ ...ref('lint-report', 7), size: 880, parents: [ref('files', 3)], producer: { runId: 'run-3', stepId: 'lint' }, quality: 0.92 }] },
    { name: 'review-report', versions: [
      { ...ref('review-report', 1), size: 4100, parents: [ref('files', 2)], producer: { runId: 'run-2', stepId: 'report' }, quality: 0.71 },
      { ...ref('review-report', 2), size: 4420, parents: [ref('lint-report', 7), ref('files', 3)], producer: { runId: 'run-3', stepId: 'report' }, quality: 0.88 },
    ] },
  ];
}
