/**
 * `symphony run` exits 143 on SIGTERM from its first moment, never killed by the signal: until
 * the run command installs its own handler (loading the engine takes a while), a SIGTERM ends
 * the process with a summary saying no run was created.
 */
const early = (): void => {
  // `--resume <id>` / `--resume=<id>`: that run is left as it was (running, resumable).
  const args = process.argv;
  const at = args.indexOf('--resume');
  const resume = at >= 0 ? args[at + 1] : args.find((a) => a.startsWith('--resume='))?.slice('--resume='.length);
  const home = args.includes('--home') ? ` --home ${args[args.indexOf('--home') + 1]}` : '';
  if (args.includes('--json')) process.stdout.write(JSON.stringify({ type: 'result', runId: resume ?? null, status: resume ? 'running' : null, interrupted: 'SIGTERM' }) + '\n');
  else if (resume) process.stdout.write(`✖ interrupted by SIGTERM before run ${resume} was resumed: it stays as it was; resume it with: symphony run --resume ${resume}${home}\n`);
  else process.stdout.write('✖ interrupted by SIGTERM before a run was created: nothing to resume\n');
  process.exit(143);
};

export function armEarlySigterm(): void {
  process.on('SIGTERM', early);
}

export function disarmEarlySigterm(): void {
  process.off('SIGTERM', early);
}
