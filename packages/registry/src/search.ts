import MiniSearch from 'minisearch';
import type { Packument, SearchHit, SearchOptions, VersionMeta } from './types.js';

interface SearchDoc {
  id: string;
  idWords: string;
  name: string;
  description: string;
  keywords: string;
  kind: string;
}

// Words that carry no meaning in a package search ("a tool for parsing the csv files").
const STOP = new Set('a an and are as at be by for from how i in into is it of on or that the this to with without my me we you your tool tools extension plugin'.split(' '));

/**
 * A light English stemmer: enough that "parsing", "parser" and "parses" meet "parse", and
 * "images" meets "image", without a dictionary. Stems are only ever compared to other stems.
 */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length <= 3) return w;
  for (const [suffix, keep] of [
    ['ations', 3], ['ation', 3], ['ings', 3], ['ing', 3], ['ers', 3], ['er', 3], ['ies', 2], ['es', 3], ['ed', 3], ['ly', 3], ['s', 3],
  ] as const) {
    if (w.endsWith(suffix) && w.length - suffix.length >= keep) {
      w = w.slice(0, -suffix.length);
      if (suffix === 'ies') w += 'y';
      break;
    }
  }
  // "pars" (from parsing) and "parse": drop a trailing e so both end up "pars".
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

function tokenize(text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

function processTerm(term: string): string | null {
  const lower = term.toLowerCase();
  if (STOP.has(lower)) return null;
  return stem(lower);
}

function toDoc(meta: VersionMeta): SearchDoc {
  return {
    id: meta.id,
    // `acme.csv-parser` is searchable as "acme csv parser".
    idWords: meta.id.split(/[.\-_]/).join(' '),
    name: meta.name ?? '',
    description: meta.description ?? '',
    keywords: meta.keywords.join(' '),
    kind: meta.kind,
  };
}

/**
 * Ranked full-text search over ids, names, keywords and descriptions (minisearch, BM25).
 * A package is indexed by its `latest` version; one with every version yanked is left out.
 * Popularity only breaks near-ties: a log-scaled download bonus of at most ~30 %, and a
 * deprecated package is halved.
 */
export function createSearchIndex() {
  const index = new MiniSearch<SearchDoc>({
    fields: ['idWords', 'name', 'keywords', 'description'],
    storeFields: ['kind'],
    tokenize,
    processTerm,
    searchOptions: {
      boost: { idWords: 3, name: 2.5, keywords: 2, description: 1 },
      prefix: (term) => term.length >= 4,
      fuzzy: (term) => (term.length >= 6 ? 0.2 : false),
      combineWith: 'OR',
    },
  });
  const current = new Map<string, { meta: VersionMeta; downloads: number }>();

  function update(packument: Packument): void {
    if (index.has(packument.id)) index.discard(packument.id);
    current.delete(packument.id);
    const latest = displayVersion(packument);
    if (!latest) return;
    const downloads = Object.values(packument.versions).reduce((sum, v) => sum + v.downloads, 0);
    current.set(packument.id, { meta: latest, downloads });
    index.add(toDoc(latest));
  }

  /** The hit shown for a package, with its score. */
  function toHit(entry: { meta: VersionMeta; downloads: number }, score: number): SearchHit {
    const hit: SearchHit = {
      id: entry.meta.id,
      version: entry.meta.version,
      keywords: entry.meta.keywords,
      kind: entry.meta.kind,
      downloads: entry.downloads,
      score,
    };
    if (entry.meta.name) hit.name = entry.meta.name;
    if (entry.meta.description) hit.description = entry.meta.description;
    if (entry.meta.deprecated) hit.deprecated = entry.meta.deprecated;
    return hit;
  }

  function search(query: string, options: SearchOptions = {}): SearchHit[] {
    const limit = options.limit ?? 20;
    // No query at all lists every package (of the kind asked for), the most downloaded first,
    // a deprecated one after its peers; the same limit applies.
    if (query.trim() === '') {
      const all: SearchHit[] = [];
      for (const entry of current.values()) {
        if (options.kind && entry.meta.kind !== options.kind) continue;
        all.push(toHit(entry, (1 + Math.log10(1 + entry.downloads)) * (entry.meta.deprecated ? 0.5 : 1)));
      }
      return all.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, limit);
    }
    const hits: SearchHit[] = [];
    const wanted = new Set(tokenize(query).map(processTerm).filter((t): t is string => t !== null)).size || 1;
    for (const result of index.search(query)) {
      const entry = current.get(result.id as string);
      if (!entry || (options.kind && entry.meta.kind !== options.kind)) continue;
      const popularity = 1 + Math.min(0.3, Math.log10(1 + entry.downloads) * 0.05);
      // Lucene's classic coordination factor: a package that matches more of the query's words
      // beats one that matches a single word many times ("send email" → the mailer, not every
      // email-* package).
      const coverage = Math.min(1, result.queryTerms.length / wanted);
      hits.push(toHit(entry, result.score * coverage * popularity * (entry.meta.deprecated ? 0.5 : 1)));
    }
    return hits.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, limit);
  }

  return { update, search, get size() { return current.size; } };
}

/** The version search shows: `latest` unless yanked, else the newest version not yanked. */
function displayVersion(packument: Packument): VersionMeta | undefined {
  const latest = Object.hasOwn(packument.distTags, 'latest') ? packument.distTags.latest : undefined;
  const tagged = latest && Object.hasOwn(packument.versions, latest) ? packument.versions[latest] : undefined;
  if (tagged && !tagged.yanked) return tagged;
  const live = Object.values(packument.versions).filter((v) => !v.yanked);
  return live.sort((a, b) => (a.publishedAt < b.publishedAt ? 1 : -1))[0];
}
