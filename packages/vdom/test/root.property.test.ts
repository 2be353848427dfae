import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatches, createUiRoot, ui, type SourceNode, type VirtualNode } from '../src/index.js';

// Source trees as an extension builds them: keyed rows of cells, each render reusing most nodes
// from the last one (structural sharing) and rebuilding, moving, adding or dropping a few.
const handlers = [() => 'a', () => 'b'];
type Row = { key: number; text: string; tone: 'muted' | 'success'; handler: number };
const row = fc.record({ key: fc.integer({ min: 0, max: 30 }), text: fc.string({ maxLength: 4 }), tone: fc.constantFrom('muted' as const, 'success' as const), handler: fc.integer({ min: 0, max: 1 }) });
const frames = fc.array(fc.uniqueArray(row, { selector: (r) => r.key, maxLength: 12 }), { minLength: 1, maxLength: 6 });

describe('UiRoot render sequences (property)', () => {
  it('a client applying each update stays equal to the root tree, with node reuse across renders', () => {
    fc.assert(fc.property(frames, (sequence) => {
      const cache = new Map<string, SourceNode>(); // reuse an unchanged row's source node
      const build = (rows: Row[]) => ui.stack(null, ...rows.map((r) => {
        const id = JSON.stringify(r);
        let node = cache.get(id);
        if (!node) {
          node = ui.stack({ key: r.key, direction: 'row' }, ui.text({ tone: r.tone }, r.text), ui.button({ onClick: handlers[r.handler] }, 'go'));
          cache.set(id, node);
        }
        return node;
      }));
      const root = createUiRoot();
      let client: VirtualNode = { type: 'Stack', props: {}, children: [] };
      for (const rows of sequence) {
        const update = root.render(build(rows));
        client = applyPatches(client, update.patches, { strict: true });
        expect(client).toEqual(root.tree);
        // Every handler in the tree is live; the two functions keep two ids however often they render.
        const ids = new Set(rows.map((r) => ((root.tree!.children.find((c) => (c as VirtualNode).key === r.key) as VirtualNode)
          .children[1] as VirtualNode).props.onClick).map((h) => (h as { $handler: string }).$handler));
        expect(ids.size).toBeLessThanOrEqual(2);
        for (const id of ids) expect(root.hasHandler(id)).toBe(true);
      }
    }), { numRuns: 500 });
  });
});
