// The API path of the engine suite's `symphony run` comparison: an embedder's whole process, as
// the runtime README shows it (createSymphony + run), with the CLI's composition (default
// built-ins and policy) and the same extension folder. Exit 0 only if the run succeeded.
// Usage: node engine-embedder.mjs <workflow.yaml> <home> <extensions dir>
import { createSymphony } from '@symphony/runtime';

const [file, home, extensions] = process.argv.slice(2);
const symphony = await createSymphony({ home, extensions: [extensions], logLevel: 'silent' });
const result = await symphony.run(file);
await symphony.close();
process.exit(result.status === 'succeeded' ? 0 : 1);
