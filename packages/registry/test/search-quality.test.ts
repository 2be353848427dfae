import { beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, stem, type Registry } from '../src/index.js';
import { generateKeyPair, packFixture, tempDir } from './helpers.js';
import { HELD_OUT_QUERIES, QUERIES, TARGETS, generateDecoys } from './search-corpus.js';

let registry: Registry;
const corpus = [...TARGETS, ...generateDecoys(200)];

beforeAll(async () => {
  const root = await tempDir('search');
  registry = await openRegistry({ dir: `${root}/registry` });
  const key = generateKeyPair();
  const namespaces = [...new Set(corpus.map((p) => p.id.split('.')[0] as string))];
  await registry.registerPublisher({ name: 'seed', namespaces, publicKeys: [key.publicKey] });
  for (const p of corpus) {
    const pack = await packFixture(root, { id: p.id, version: '1.0.0', name: p.name, description: p.description, keywords: p.keywords, kind: p.kind }, key);
    await registry.publish(pack.tarball, { integrity: pack.integrity });
  }
}, 60_000);

describe('search quality on a seeded registry', () => {
  async function hitRate(queries: Array<[string, string]>): Promise<{ hits: number; misses: string[] }> {
    const misses: string[] = [];
    let hits = 0;
    for (const [query, expected] of queries) {
      const top = (await registry.search(query, { limit: 3 })).map((h) => h.id);
      if (top.includes(expected)) hits += 1;
      else misses.push(`"${query}" → ${top.join(', ')} (wanted ${expected})`);
    }
    return { hits, misses };
  }

  it(`puts the expected package in the top 3 for the written-down queries (${QUERIES.length} + ${HELD_OUT_QUERIES.length} held out, ${corpus.length} packages)`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(QUERIES.length).toBeGreaterThanOrEqual(20);
    const tuned = await hitRate(QUERIES);
    const held = await hitRate(HELD_OUT_QUERIES);
    const pct = (n: number, d: number) => `${n}/${d} = ${((n / d) * 100).toFixed(1)}%`;
    // The figures the issue asks for; printed so CI logs carry them.
    console.log(`search top-3 hit rate: ${pct(tuned.hits, QUERIES.length)} (held-out queries: ${pct(held.hits, HELD_OUT_QUERIES.length)})`
      + `${[...tuned.misses, ...held.misses].length ? `\nmisses:\n  ${[...tuned.misses, ...held.misses].join('\n  ')}` : ''}`);
    expect(tuned.hits / QUERIES.length).toBeGreaterThanOrEqual(0.9);
    expect(held.hits / HELD_OUT_QUERIES.length).toBeGreaterThanOrEqual(0.7);
  });

  it('filters by kind, and drops a package whose every version is yanked', async () => {
    const motifs = await registry.search('theme', { kind: 'motif' });
    expect(motifs.every((h) => h.kind === 'motif')).toBe(true);
    expect(motifs[0]?.id).toBe('theme.dark');
    await registry.yank('theme.dark', '1.0.0');
    expect((await registry.search('dark theme')).map((h) => h.id)).not.toContain('theme.dark');
    await registry.yank('theme.dark', '1.0.0', false);
    expect((await registry.search('dark theme'))[0]?.id).toBe('theme.dark');
  });

  it('ranks a deprecated package below an equal live one', async () => {
    const before = (await registry.search('sqlite database')).findIndex((h) => h.id === 'db.sqlite');
    await registry.deprecate('db.sqlite', '1.0.0', 'moved');
    const hits = await registry.search('sqlite database');
    expect(hits.find((h) => h.id === 'db.sqlite')?.deprecated).toBe('moved');
    expect(hits.findIndex((h) => h.id === 'db.sqlite')).toBeGreaterThanOrEqual(before);
    await registry.deprecate('db.sqlite', '1.0.0', '');
  });

  it('stems so that word forms meet', () => {
    expect(stem('parsing')).toBe(stem('parse'));
    expect(stem('parser')).toBe(stem('parses'));
    expect(stem('images')).toBe(stem('image'));
    expect(stem('summaries')).toBe(stem('summary'));
  });
});
