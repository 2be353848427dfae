import { useMemo } from 'react';
import MarkdownIt from 'markdown-it';
import DOMPurify from 'dompurify';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export type Preview =
  | { kind: 'markdown'; text: string; rest?: Json }
  | { kind: 'json'; value: Json }
  | { kind: 'table'; columns: string[]; rows: Array<Record<string, unknown>>; format: 'csv' | 'ndjson' | 'json' }
  | { kind: 'text'; text: string };

const looksMarkdown = (name: string, text: string) => /\.(md|markdown)$|report$/i.test(name) || /^#{1,6} \S/m.test(text);

/** Splits one CSV line (RFC 4180 quotes). */
function csvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

const MAX_ROWS = 500;

/** How to show an artifact's text: Markdown, a JSON tree, a table (CSV, NDJSON, an array of records) or plain text. */
export function choosePreview(name: string, text: string): Preview {
  let parsed: Json | undefined;
  try { parsed = JSON.parse(text) as Json; } catch { parsed = undefined; }
  if (typeof parsed === 'string') return looksMarkdown(name, parsed) ? { kind: 'markdown', text: parsed } : { kind: 'text', text: parsed };
  if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((r) => r && typeof r === 'object' && !Array.isArray(r))) {
    const rows = parsed.slice(0, MAX_ROWS) as Array<Record<string, unknown>>;
    return { kind: 'table', columns: [...new Set(rows.flatMap((r) => Object.keys(r)))], rows, format: 'json' };
  }
  // A step output with a Markdown field (`{ markdown, ... }`): the Markdown, and the other fields as JSON.
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && typeof parsed.markdown === 'string') {
    const { markdown, ...rest } = parsed;
    return { kind: 'markdown', text: markdown as string, ...(Object.keys(rest).length ? { rest } : {}) };
  }
  if (parsed !== undefined) return { kind: 'json', value: parsed };
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length > 0 && (/\.ndjson$|\.jsonl$/i.test(name) || lines.every((l) => /^\s*\{/.test(l)))) {
    try {
      const rows = lines.slice(0, MAX_ROWS).map((l) => JSON.parse(l) as Record<string, unknown>);
      return { kind: 'table', columns: [...new Set(rows.flatMap((r) => Object.keys(r)))], rows, format: 'ndjson' };
    } catch { /* not NDJSON after all */ }
  }
  if (lines.length > 1 && (/\.csv$/i.test(name) || lines.slice(0, 5).every((l) => csvLine(l).length === csvLine(lines[0]!).length && csvLine(l).length > 1))) {
    const [head, ...body] = lines.map(csvLine);
    const columns = head!;
    return { kind: 'table', columns, rows: body.slice(0, MAX_ROWS).map((cells) => Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']))), format: 'csv' };
  }
  return looksMarkdown(name, text) ? { kind: 'markdown', text } : { kind: 'text', text };
}

// Raw HTML in Markdown is not rendered (html: false), links are checked by markdown-it, and the
// result goes through DOMPurify as well: an artifact cannot run script in this page.
const md = new MarkdownIt({ html: false, linkify: true });

// An image on another host would be fetched as soon as the preview opens: an extension that may
// not use the network could then send what it read to any server through the viewer's browser
// (the address carries the data). Such an image is shown as a link the user may follow instead.
const renderImage = md.renderer.rules.image!;
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  const src = String(token.attrGet('src') ?? '').trim();
  if (!/^(?:[a-z][a-z0-9+.-]*:|[\\/]{2})/i.test(src) || /^data:image\//i.test(src)) return renderImage(tokens, idx, options, env, self);
  const alt = self.renderInlineAsText(token.children ?? [], options, env);
  return `<a href="${md.utils.escapeHtml(src)}" rel="noreferrer noopener">${md.utils.escapeHtml(alt || src)}</a>`;
};

// A table column's alignment is a class, not markdown-it's `style="text-align:…"`: the page's
// Content-Security-Policy allows no inline style (apps/web/host/csp.mjs).
md.core.ruler.push('align_class', (state) => {
  for (const token of state.tokens) {
    if (token.type !== 'th_open' && token.type !== 'td_open') continue;
    const align = /^text-align:(left|center|right)$/.exec(String(token.attrGet('style') ?? ''))?.[1];
    if (token.attrs) token.attrs = token.attrs.filter(([name]) => name !== 'style');
    if (align) token.attrJoin('class', `md-align-${align}`);
  }
});

/** Markdown as safe HTML: markdown-it without raw HTML, then DOMPurify where there is a DOM. */
export function markdownHtml(text: string): string {
  const html = md.render(text);
  return DOMPurify.isSupported ? DOMPurify.sanitize(html, { FORBID_ATTR: ['style'] }) : html;
}

export function ArtifactPreview({ name, text }: { name: string; text: string }) {
  const preview = useMemo(() => choosePreview(name, text), [name, text]);
  switch (preview.kind) {
    case 'markdown': {
      const html = markdownHtml(preview.text);
      return (
        <>
          <div className="markdown max-h-[32rem] overflow-auto rounded-md border p-4 text-sm" tabIndex={0} role="region" aria-label={`${name} (Markdown)`} data-testid="artifact-markdown" dangerouslySetInnerHTML={{ __html: html }} />
          {preview.rest !== undefined && <div className="rounded-md border p-3 font-mono text-xs" data-testid="artifact-json"><JsonTree value={preview.rest} depth={0} /></div>}
        </>
      );
    }
    case 'json':
      return <div className="max-h-[32rem] overflow-auto rounded-md border p-3 font-mono text-xs" tabIndex={0} role="region" aria-label={`${name} (JSON)`} data-testid="artifact-json"><JsonTree value={preview.value} depth={0} /></div>;
    case 'table':
      return (
        <div className="max-h-[32rem] overflow-auto rounded-md border" tabIndex={0} role="region" aria-label={`${name} (${preview.format.toUpperCase()} table)`} data-testid="artifact-table">
          <table className="w-full text-xs">
            <thead><tr>{preview.columns.map((c) => <th key={c} className="border-b px-2 py-1 text-left font-medium">{c}</th>)}</tr></thead>
            <tbody>
              {preview.rows.map((r, i) => <tr key={i} className="border-b last:border-0">{preview.columns.map((c) => <td key={c} className="px-2 py-1 align-top">{cell(r[c])}</td>)}</tr>)}
            </tbody>
          </table>
        </div>
      );
    default:
      return <pre className="max-h-[32rem] overflow-auto rounded-md bg-muted p-3 text-xs break-words whitespace-pre-wrap" tabIndex={0} aria-label={name} data-testid="artifact-text">{preview.text}</pre>;
  }
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function JsonTree({ value, depth }: { value: Json; depth: number }) {
  if (value === null || typeof value !== 'object') {
    return <span className={typeof value === 'string' ? 'text-success-fg' : 'text-info-fg'}>{JSON.stringify(value)}</span>;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  const label = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  return (
    <details open={depth < 2}>
      <summary className="cursor-pointer text-muted-foreground">{label}</summary>
      <ul className="ml-4 border-l pl-2">
        {entries.map(([k, v]) => <li key={k}><span className="font-medium">{k}</span>: <JsonTree value={v} depth={depth + 1} /></li>)}
      </ul>
    </details>
  );
}
