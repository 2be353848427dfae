// A separate Symphony installation running one workflow: the kernel with the LMDB store, the
// sandbox, the Stage over `<home>/extensions` (third-party code, so child processes) and the
// Conductor. Prints one JSON line: the run's status and each step's output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKernel } from '@symphony/kernel';
import { createStagePlugin } from '@symphony/extension-loader';
import { sandboxPlugin } from '@symphony/sandbox';
import { createConductorPlugin } from '@symphony/conductor';
import { pitStorePlugins } from '@symphony/pit-artifacts';

// The workspace is its own folder: a home inside it is refused (E_HOME_IN_WORKSPACE).
const [home, workflowFile, workspace] = process.argv.slice(2);
const kernel = createKernel({
  plugins: [
    ...pitStorePlugins({ ledger: { path: join(home, 'ledger') } }),
    sandboxPlugin,
    createStagePlugin({ dirs: [{ path: join(home, 'extensions'), mode: 'process' }], symphonyVersion: '0.1.0' }),
    createConductorPlugin(),
  ],
  config: { home, workspace, pluginOptions: { sandbox: { home, workspace } } },
});
await kernel.start();
try {
  const result = await kernel.service('conductor').run(JSON.parse(readFileSync(workflowFile, 'utf8')));
  const artifacts = kernel.service('pit.artifacts');
  const outputs = Object.fromEntries(result.steps.map((s) => [s.stepId, s.output ? artifacts.value(s.output.name, s.output.version) : null]));
  const servedBy = Object.fromEntries(result.steps.map((s) => [s.stepId, s.servedBy ?? null]));
  console.log(JSON.stringify({ status: result.status, outputs, servedBy, error: result.error ?? null }));
} finally {
  await kernel.stop();
}
