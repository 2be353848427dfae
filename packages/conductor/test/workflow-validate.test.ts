import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '@symphony/manifest';
import { BUILTIN_INSTRUMENTS_DIR } from '@symphony/stage-instruments';
import { BUILTIN_OPERATORS_DIR } from '@symphony/stage-operators';
import { isSymphonyError } from '@symphony/types';
import { formatDiagnostics, loadWorkflow, validateWorkflowSource, type ExtensionCatalogEntry } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const HOTSPOTS = join(here, '../../../examples/hotspots');

/** The catalog as the Stage would list it, read from real extension folders. */
async function catalogOf(dirs: string[]): Promise<ExtensionCatalogEntry[]> {
  const out: ExtensionCatalogEntry[] = [];
  for (const dir of dirs) {
    for (const name of readdirSync(dir)) {
      const { manifest } = await loadManifest(join(dir, name));
      const inputs = Object.fromEntries(Object.entries(manifest.contributes.methods).flatMap(([m, spec]) => (spec.input ? [[m, spec.input]] : [])));
      out.push({ id: manifest.id, methods: Object.keys(manifest.contributes.methods), capabilities: manifest.contributes.capabilities.map((c) => c.name), inputs });
    }
  }
  return out;
}

let extensions: ExtensionCatalogEntry[] = [];
beforeAll(async () => {
  extensions = await catalogOf([BUILTIN_OPERATORS_DIR, BUILTIN_INSTRUMENTS_DIR, join(HOTSPOTS, 'extensions')]);
});

/** Most cases are about other things than `with:`: they check against ids and methods alone. */
const check = (source: string, withInputs = false) =>
  validateWorkflowSource(source, { file: 'wf.yaml', extensions: withInputs ? extensions : extensions.map(({ inputs: _inputs, ...e }) => e) });
const lines = (source: string, withInputs = false) => formatDiagnostics(check(source, withInputs).diagnostics).split('\n');

describe('validateWorkflowSource', () => {
  it('accepts the example workflow against the real extension folders', async () => {
    const workflow = await loadWorkflow(join(HOTSPOTS, 'workflow.yaml'), { extensions });
    expect(workflow.steps).toHaveLength(10);
  });

  it('unknown keys, with a did-you-mean, at the key', () => {
    const src = ['name: x', 'steps:', '  - id: a', '    uses: symphony.files/read', '    neds: [b]', '    retry: { cuont: 2 }', 'concurency: 2', ''].join('\n');
    expect(lines(src)).toEqual([
      'wf.yaml:5:5: unknown key "neds" (did you mean "needs"?) [step a]',
      'wf.yaml:6:14: unknown key "cuont" (did you mean "count"?) [step a]',
      'wf.yaml:7:1: unknown key "concurency" (did you mean "concurrency"?)',
    ]);
    expect(check(src).diagnostics[0]).toMatchObject({ file: 'wf.yaml', line: 5, column: 5, stepId: 'a', path: 'steps[0].neds', suggestion: 'needs' });
  });

  it('missing keys, bad values and bad uses forms', () => {
    const src = ['name: x', 'steps:', '  - id: a', '  - id: b', '    uses: nodots', '    timeoutMs: -5', ''].join('\n');
    expect(lines(src)).toEqual([
      'wf.yaml:3:5: missing required key "uses" [step a]',
      'wf.yaml:5:11: uses: "nodots" must be "<extension-id>/<method>" (like acme.files/list) or "capability:<name>" [step b]',
      expect.stringMatching(/^wf\.yaml:6:16: .*[Tt]oo small.* \[step b\]$/),
    ]);
  });

  it('unknown needs and step references, with did-you-mean, at the reference', () => {
    const src = [
      'name: x',
      'steps:',
      '  - id: fetch',
      '    uses: symphony.files/read',
      '  - id: use',
      '    uses: symphony.files/write',
      '    needs: [fetc]',
      '    with: { content: "n=${{ steps.fecth.output }} ${{ steps.fetch.outputs }}" }',
      '    if: inputs.flagg',
      'inputs:',
      '  flag: { type: boolean, default: false }',
      '',
    ].join('\n');
    expect(lines(src)).toEqual([
      'wf.yaml:7:13: needs unknown step "fetc" (did you mean "fetch"?) [step use]',
      'wf.yaml:8:29: references unknown step "fecth" (did you mean "fetch"?) [step use]',
      'wf.yaml:8:55: steps.fetch has no "outputs" (a step offers output, outcome, conclusion) (did you mean "output"?) [step use]',
      'wf.yaml:9:9: reads inputs.flagg, which the workflow does not declare (did you mean "flag"?) [step use]',
    ]);
  });

  it('expressions that do not parse, at the offending character', () => {
    const src = [
      'name: x',
      'steps:',
      '  - id: a',
      '    uses: symphony.files/read',
      "    if: ${{ inputs.x = 'a' }}",
      '  - id: b',
      '    uses: symphony.files/read',
      "    with: { p: \"${{ github.sha }}\", q: '${{ startswith(1) }}', r: '${{ hashfile(1) }}', s: 'open ${{ inputs.x' }",
      'inputs: { x: { type: string } }',
      '',
    ].join('\n');
    expect(lines(src)).toEqual([
      "wf.yaml:5:22: expression \"inputs.x = 'a'\" is invalid: Unexpected symbol: '=' [step a]",
      "wf.yaml:8:21: expression \"github.sha\" is invalid: Unrecognized named-value: 'github' [step b]",
      "wf.yaml:8:45: expression \"startswith(1)\" is invalid: Too few parameters supplied: 'startswith' [step b]",
      "wf.yaml:8:72: expression \"hashfile(1)\" is invalid: Unrecognized function: 'hashfile' [step b]",
      'wf.yaml:8:98: "${{" has no closing "}}" [step b]',
    ]);
  });

  it('forward references outside needs, self references and cycles', () => {
    const fwd = ['name: x', 'steps:', '  - id: a', '    uses: symphony.files/read', '    with: { p: "${{ steps.b.output }}" }', '  - id: b', '    uses: symphony.files/read', ''].join('\n');
    expect(lines(fwd)).toEqual(['wf.yaml:5:21: reads step "b", which is declared later and not among this step\'s needs: add it to needs [step a]']);
    const self = ['name: x', 'steps:', '  - id: a', '    uses: symphony.files/read', '    if: steps.a.outcome', ''].join('\n');
    expect(lines(self)).toEqual(['wf.yaml:5:9: step "a" cannot read its own outcome [step a]']);
    const cycle = ['name: x', 'steps:', '  - id: a', '    uses: symphony.files/read', '    needs: [c]', '  - id: b', '    uses: symphony.files/read', '    needs: [a]', '  - id: c', '    uses: symphony.files/read', '    needs: [b]', ''].join('\n');
    expect(lines(cycle)).toEqual([expect.stringMatching(/^wf\.yaml:\d+:\d+: steps (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c) depend on each other in a cycle \[step [abc]\]$/)]);
  });

  it('uses: unknown extensions, methods and capabilities, with did-you-mean', () => {
    const src = [
      'name: x',
      'steps:',
      '  - id: a',
      '    uses: symphony.file/read',
      '  - id: b',
      '    uses: symphony.files/raed',
      '  - id: c',
      '    uses: capability:classify-risc',
      '  - id: d',
      '    uses: nobody.here/run',
      '',
    ].join('\n');
    expect(lines(src)).toEqual([
      'wf.yaml:4:11: extension "symphony.file" is not installed (did you mean "symphony.files/read"?) [step a]',
      'wf.yaml:6:11: extension "symphony.files" has no method "raed" (did you mean "symphony.files/read"?) [step b]',
      'wf.yaml:8:11: no installed extension provides capability "classify-risc" (did you mean "capability:classify-risk"?) [step c]',
      'wf.yaml:10:11: extension "nobody.here" is not installed [step d]',
    ]);
  });

  it('a schema error does not hide the rest: an unknown key and three unresolvable uses: are reported together', () => {
    const src = [
      'name: x',
      'steps:',
      '  - id: a',
      '    uses: symphony.file/read',
      '  - id: b',
      '    uses: symphony.files/raed',
      '    neds: [a]',
      '  - id: c',
      '    uses: capability:classify-risc',
      '  - id: d',
      '    uses: 42',
      '',
    ].join('\n');
    const out = lines(src);
    expect(out).toContain('wf.yaml:4:11: extension "symphony.file" is not installed (did you mean "symphony.files/read"?) [step a]');
    expect(out).toContain('wf.yaml:6:11: extension "symphony.files" has no method "raed" (did you mean "symphony.files/read"?) [step b]');
    expect(out).toContain('wf.yaml:9:11: no installed extension provides capability "classify-risc" (did you mean "capability:classify-risk"?) [step c]');
    expect(out.some((l) => l.startsWith('wf.yaml:7:5:') && l.includes('neds'))).toBe(true);
    // The malformed uses: of step d is reported once, by the schema.
    expect(out.filter((l) => l.includes('[step d]'))).toHaveLength(1);
    expect(check(src).workflow).toBeUndefined();
  });

  it('duplicate ids, input defaults of the wrong type, YAML errors, JSON files', () => {
    const dup = ['name: x', 'steps:', '  - { id: a, uses: symphony.files/read }', '  - { id: A, uses: symphony.files/read }', 'inputs: { n: { type: number, default: "3" } }', ''].join('\n');
    expect(lines(dup)).toEqual([
      'wf.yaml:4:11: duplicate step id "A" (step 1 has it as "a"; ids are case-insensitive in expressions) [step A]',
      'wf.yaml:5:39: input "n" is declared number but its default is a string',
    ]);
    expect(lines('name: x\nsteps: [\n')[0]).toMatch(/^wf\.yaml:3:1: not valid YAML/);
    expect(lines('name: x\nname: y\nsteps: []\n')[0]).toMatch(/^wf\.yaml:2:1: not valid YAML: Map keys must be unique/);
    expect(lines('')).toEqual(['wf.yaml:1:1: a workflow file is a mapping with "name" and "steps"; this one holds nothing']);
    expect(lines('- a\n')).toEqual(['wf.yaml:1:1: a workflow file is a mapping with "name" and "steps"; this one holds a list']);
    const reserved = 'name: x\ninputs: { constructor: { type: string } }\nsteps:\n  - { id: __proto__, uses: symphony.files/read }\n';
    expect(lines(reserved)).toEqual(['wf.yaml:2:11: "constructor" cannot be an input name', 'wf.yaml:4:11: "__proto__" cannot be a step id [step __proto__]']);
    const json = '{\n  "name": "x",\n  "steps": [\n    { "id": "a", "uses": "symphony.files/read", "nedds": [] }\n  ]\n}\n';
    expect(lines(json)).toEqual(['wf.yaml:4:49: unknown key "nedds" (did you mean "needs"?) [step a]']);
  });

  it('loadWorkflow throws E_WORKFLOW_INVALID carrying the diagnostics; nothing else is touched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'name: x\nsteps:\n  - id: a\n    uses: symphony.files/reed\n');
      const err = await loadWorkflow(file, { extensions }).catch((e: unknown) => e);
      expect(isSymphonyError(err) && err.code).toBe('E_WORKFLOW_INVALID');
      expect((err as { details: { issues: unknown[] } }).details.issues).toEqual([{ path: 'steps[0].uses', message: expect.stringContaining('no method "reed"') }]);
      expect((err as { details: { diagnostics: unknown[] } }).details.diagnostics).toEqual([
        { file, line: 4, column: 11, stepId: 'a', path: 'steps[0].uses', message: 'extension "symphony.files" has no method "reed" (did you mean "symphony.files/read"?)', suggestion: 'symphony.files/read' },
      ]);
      expect(readdirSync(dir)).toEqual(['bad.yaml']);
      await expect(loadWorkflow(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with: against the method's declared input: required keys, unknown keys, literal types", () => {
    const src = [
      'name: x',
      'inputs: { p: { type: string, default: a.txt } }',
      'steps:',
      '  - id: a',
      '    uses: symphony.files/read',
      '  - id: b',
      '    uses: symphony.files/read',
      '    with: { path: "${{ inputs.p }}", maxbytes: 10 }',
      '  - id: c',
      '    uses: symphony.files/read',
      '    with: { path: 7, maxBytes: "${{ inputs.p }}" }',
      '',
    ].join('\n');
    expect(lines(src, true)).toEqual([
      'wf.yaml:4:5: symphony.files/read needs "path" in with: [step a]',
      'wf.yaml:8:38: symphony.files/read takes no "maxbytes" (did you mean "maxBytes"?) [step b]',
      'wf.yaml:11:19: symphony.files/read expects "path" to be string, not integer [step c]',
    ]);
  });

  it('without a catalog, uses: is checked for form only', () => {
    expect(validateWorkflowSource('name: x\nsteps:\n  - { id: a, uses: nobody.here/run }\n').diagnostics).toEqual([]);
  });
});
