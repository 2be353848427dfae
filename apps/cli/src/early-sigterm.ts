/**
 * `symphony run` exits 143 on SIGTERM from its first moment, never killed by the signal: until
 * the run command installs its own handler (loading the engine takes a while), a SIGTERM ends
 * the process with a summary saying no run was created.
 */
const early = (): void => {
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify({ type: 'result', runId: null, status: null, interrupted: 'SIGTERM' }) + '\n');
  else process.stdout.write('✖ interrupted by SIGTERM before a run was created: nothing to resume\n');
  process.exit(143);
};

export function armEarlySigterm(): void {
  process.on('SIGTERM', early);
}

export function disarmEarlySigterm(): void {
  process.off('SIGTERM', early);
}
