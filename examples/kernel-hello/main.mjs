// Boots a kernel with two demo plugins, calls one through the other, and prints the health report.
import { createKernel, definePlugin } from '@symphony/kernel';

const clock = definePlugin({
  name: 'demo.clock',
  version: '1.0.0',
  setup: () => ({ now: () => new Date().toISOString() }),
  health: () => 'ok',
});

const greeter = definePlugin({
  name: 'demo.greeter',
  version: '1.0.0',
  dependsOn: ['demo.clock'],
  requires: { 'demo.clock': '^1.0.0' },
  setup(ctx) {
    const clock = ctx.service('demo.clock'); // the clock's API object itself: a direct call
    let greeted = 0;
    return {
      greet(name) {
        greeted++;
        return `hello, ${name} (at ${clock.now()})`;
      },
      get greeted() {
        return greeted;
      },
    };
  },
  health: (api) => ({ status: 'ok', greeted: api.greeted }),
});

const kernel = createKernel({ plugins: [greeter, clock] });
kernel.events.on('plugin:start', (e) => console.log(`started ${e.name} in ${e.durationMs.toFixed(2)} ms`));
await kernel.start();
console.log(kernel.service('demo.greeter').greet('Symphony'));
console.log(JSON.stringify(await kernel.health(), null, 2));
await kernel.stop();
