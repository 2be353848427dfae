import { createSymphony } from '@symphony/runtime';

/**
 * The embedded defaults (`@symphony/runtime`) over a real LMDB store under `home`, without
 * extensions, with in-process test steps: `test.steps/echo` returns its input, `test.steps/nothing` returns undefined,
 * `test.steps/wait` sleeps `ms` then returns `{ waited }`, `test.steps/fail` throws, `test.steps/switch`
 * throws while `switches.broken`.
 */
/** `test.steps/switch` fails while `switches.broken` is true (a failure the test then "fixes"). */
export const switches = { broken: true };

export async function realKernel(home: string) {
  const symphony = await createSymphony({
    home,
    builtins: false,
    policy: 'heuristic',
    logLevel: 'silent',
    steps: {
      'test.steps/echo': (input) => input,
      'test.steps/nothing': () => undefined,
      'test.steps/switch': (input) => {
        if (switches.broken) throw new Error('the switch is off');
        return input;
      },
      'test.steps/fail': () => {
        throw new Error('test step failed on purpose');
      },
      'test.steps/wait': async (input, ctx) => {
        const ms = Number((input as { ms?: number }).ms ?? 10);
        await new Promise((resolve, reject) => {
          const t = setTimeout(resolve, ms);
          ctx.signal.addEventListener('abort', () => (clearTimeout(t), reject(ctx.signal.reason)), { once: true });
        });
        return { waited: ms, step: ctx.stepId };
      },
    },
  });
  return { kernel: symphony.kernel, conductor: symphony.conductor };
}

export const threeSteps = {
  name: 'three',
  steps: [
    { id: 'a', uses: 'test.steps/echo', with: { text: 'hello' } },
    { id: 'b', uses: 'test.steps/wait', needs: ['a'], with: { ms: 20 } },
    { id: 'c', uses: 'test.steps/echo', needs: ['b'], with: { from: '${{ steps.a.output.text }}' } },
  ],
};
