// Runs one install in its own process and SIGKILLs itself at the step named in argv[5]:
// the "install killed half-way" of the fault tests, with a real kill, not a thrown error.
import { createMarketplace } from '../dist/index.js';

const [home, registry, spec, killAt] = process.argv.slice(2);
const mkt = await createMarketplace({
  home,
  registries: [registry],
  consent: () => true,
  onProgress: (event) => {
    if (event.step === killAt) process.kill(process.pid, 'SIGKILL');
  },
});
await mkt.install(spec);
console.log('installed');
