import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { EXTENSION_KINDS, type ExtensionKind } from '@symphony/manifest';
import { SymphonyError } from '@symphony/types';
import { sdkRoot } from './io.js';
import { templateVersions } from './versions.js';

export interface CreateOptions {
  kind: string;
  /** `word-count` (id becomes `<publisher>.word-count`) or a full id `acme.word-count`. */
  name: string;
  /** The folder the project folder is made in. */
  parent: string;
  publisher?: string;
  /** Version range written for every @symphony/* dependency; default `^<that package's version>` each. */
  symphonyRange?: string;
}

export interface Created {
  id: string;
  dir: string;
  files: string[];
}

/** Makes a working extension project from `templates/_shared` + `templates/<kind>`. */
export async function createExtension(options: CreateOptions): Promise<Created> {
  if (!(EXTENSION_KINDS as readonly string[]).includes(options.kind)) {
    throw new SymphonyError('E_INPUT_INVALID', `unknown kind "${options.kind}"; choose one of ${EXTENSION_KINDS.join(', ')}`, { details: { kind: options.kind } });
  }
  const kind = options.kind as ExtensionKind;
  const id = options.name.includes('.') ? options.name : `${options.publisher ?? 'local'}.${options.name}`;
  if (!/^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+$/.test(id)) {
    throw new SymphonyError('E_INPUT_INVALID', `"${id}" is not a valid extension id: lowercase "publisher.name", letters, digits and -`, { details: { id } });
  }
  const short = id.slice(id.indexOf('.') + 1);
  const dir = join(options.parent, short);
  const existing = await readdir(dir).catch(() => [] as string[]);
  if (existing.length > 0) {
    throw new SymphonyError('E_CONFLICT', `${dir} already exists and is not empty`, { details: { path: dir } });
  }
  const values: Record<string, string> = {
    __ID__: id,
    __NAME__: short,
    __TITLE__: short.split(/[-_]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' '),
    __KIND__: kind,
  };
  const versions = options.symphonyRange === undefined ? templateVersions(sdkRoot()) : {};
  const templates = join(sdkRoot(), 'templates');
  const files: string[] = [];
  for (const source of [join(templates, '_shared'), join(templates, kind)]) {
    for (const file of await listFiles(source)) {
      let text = (await readFile(join(source, file), 'utf8')).replace(/__[A-Z_]+__/g, (m) => values[m] ?? m);
      // Each @symphony/* dependency at a range of its own version, which exists on the registry.
      text = text.replace(/"(@symphony\/[a-z-]+)": "__SYMPHONY_RANGE__"/g, (_, name: string) => {
        const range = options.symphonyRange ?? (versions[name] ? `^${versions[name]}` : undefined);
        if (!range) throw new SymphonyError('E_INTERNAL', `the SDK does not know which version of ${name} to ask for`, { details: { name } });
        return `"${name}": "${range}"`;
      });
      const target = file.replace(/\.tmpl$/, '').replace(/(^|\/)gitignore$/, '$1.gitignore');
      await mkdir(join(dir, target, '..'), { recursive: true });
      await writeFile(join(dir, target), text);
      files.push(target);
    }
  }
  return { id, dir, files: files.sort() };
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(join(root, rel))) {
    const path = rel ? `${rel}/${name}` : name;
    if ((await stat(join(root, path))).isDirectory()) out.push(...(await listFiles(root, path)));
    else out.push(path);
  }
  return out;
}

export function describeCreated(created: Created, cwd: string): string {
  return `created ${created.id} in ${relative(cwd, created.dir) || '.'}\n${created.files.map((f) => `  ${f}`).join('\n')}`;
}
