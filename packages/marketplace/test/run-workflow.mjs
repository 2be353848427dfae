// A separate Symphony installation running one workflow through the runtime's one composition
// (kernel, LMDB store, sandbox, the Stage over `<home>/extensions` as child processes, the
// Conductor). Prints one JSON line: the run's status and each step's output.
import { readFileSync } from 'node:fs';
import { createSymphony } from '@symphony/runtime';

// The workspace is its own folder: the sandbox refuses a home inside the workspace.
const [home, workflowFile, workspace] = process.argv.slice(2);
const symphony = await createSymphony({ home, workspace, builtins: false });
try {
  const result = await symphony.run(JSON.parse(readFileSync(workflowFile, 'utf8')));
  const outputs = Object.fromEntries(result.steps.map((s) => [s.stepId, s.output ? symphony.artifacts.value(s.output.name, s.output.version) : null]));
  const servedBy = Object.fromEntries(result.steps.map((s) => [s.stepId, s.servedBy ?? null]));
  console.log(JSON.stringify({ status: result.status, outputs, servedBy, error: result.error ?? null }));
} finally {
  await symphony.close();
}
