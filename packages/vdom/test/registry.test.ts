import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@symphony/types';
import { createRegistry, createUiRoot, h, ui, validateTree } from '../src/index.js';
import { z } from 'zod';

function catchError(fn: () => unknown): unknown {
  try { fn(); } catch (err) { return err; }
  throw new Error('expected a throw');
}

describe('component registry', () => {
  it('rejects an unknown component at the extension side, naming the node path', () => {
    const root = createUiRoot();
    const err = catchError(() => root.render(ui.stack(null, ui.card({ title: 'a' }), ui.card({ title: 'b' }, h('Marquee', { speed: 3 })))));
    expect(hasErrorCode(err, 'E_VDOM_UNKNOWN_COMPONENT')).toBe(true);
    const details = (err as { details: Record<string, unknown> }).details;
    expect(details.path).toEqual([1, 0]);
    expect(details.where).toBe('Stack > Card[1] > Marquee[0]');
    expect(root.tree).toBeUndefined(); // nothing half-rendered was kept
  });

  it('rejects invalid props listing every issue with its prop path', () => {
    const err = catchError(() => createUiRoot().render(ui.stack(null,
      ui.progress({ value: 140 }),
    )));
    expect(hasErrorCode(err, 'E_VDOM_PROPS_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/Progress at Stack > Progress\[0\]/);
    expect((err as { details: { issues: Array<{ path: string }> } }).details.issues[0]!.path).toBe('value');
  });

  it('rejects a misspelt prop (schemas are strict) and children on a leaf component', () => {
    expect(hasErrorCode(catchError(() => validateTree(h('Button', { colour: 'red' }) as never)), 'E_VDOM_PROPS_INVALID')).toBe(true);
    expect(hasErrorCode(catchError(() => validateTree(h('Input', { name: 'x' }, 'child') as never)), 'E_VDOM_CHILDREN_INVALID')).toBe(true);
  });

  it('accepts every built-in component with valid props, and extra components registered by name', () => {
    const registry = createRegistry({ Rating: { schema: z.object({ stars: z.number().int().max(5) }).strict(), leaf: true } });
    const tree = ui.stack({ direction: 'column', gap: 2 },
      ui.heading({ level: 2 }, 'Title'), ui.text({ tone: 'muted' }, 'body'),
      ui.grid({ columns: 2 }, ui.badge({ tone: 'success' }, 'ok'), ui.separator()),
      ui.form({ onSubmit: () => undefined }, ui.input({ name: 'q', label: 'Query' }), ui.textarea({ name: 't' }),
        ui.select({ name: 's', options: [{ value: 'a', label: 'A' }] }), ui.checkbox({ name: 'c' }), ui.switch({ name: 'w' }),
        ui.button({ type: 'submit' }, 'Go')),
      ui.tabs({ value: 'one' }, ui.tab({ value: 'one', label: 'One' }, 'first')),
      ui.table({ columns: [{ key: 'a', label: 'A' }], rows: [{ a: 1 }] }),
      ui.alert({ tone: 'destructive', title: 'Oops' }, 'bad'), ui.progress({ value: 40 }),
      ui.dialog({ open: false, title: 'D' }, 'inside'), ui.tooltip({ content: 'tip' }, ui.button(null, '?')),
      ui.codeBlock({ code: 'x = 1', language: 'py' }),
      ui.graph({ nodes: [{ id: 'a', label: 'A', status: 'running' }], edges: [] }),
      ui.chart({ kind: 'bar', data: [{ label: 'x', value: 1 }] }),
      h('Rating', { stars: 4 }));
    const update = createUiRoot({ registry }).render(tree);
    expect(update.patches).toHaveLength(1);
    expect(hasErrorCode(catchError(() => createUiRoot().render(h('Rating', { stars: 4 }))), 'E_VDOM_UNKNOWN_COMPONENT')).toBe(true);
  });
});

describe('typed builders', () => {
  it('take each component’s props, with functions for event props (checked by tsc: `pnpm typecheck`)', () => {
    const onClick = () => undefined;
    const ok = ui.button({ variant: 'outline', size: 'sm', onClick }, 'Run');
    // @ts-expect-error not a Button variant
    ui.button({ variant: 'loud' }, 'x');
    // @ts-expect-error Input requires a name
    ui.input({ label: 'no name' });
    // @ts-expect-error Progress has no onClick
    ui.progress({ value: 1, onClick });
    expect(ok).toMatchObject({ type: 'Button', props: { variant: 'outline', size: 'sm' }, children: ['Run'] });
  });
});
