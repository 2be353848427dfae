import { SymphonyError, isSymphonyError, validationError, type Issue } from '@symphony/types';
import { ExtensionManifestSchema, type ExtensionManifest } from './schema.js';
import { formatPath, toIssues } from './issues.js';

/**
 * Validates a manifest object and returns it with defaults filled in. Throws
 * `E_MANIFEST_INVALID` listing EVERY problem with its path (`permissions.fs.read[2]: ...`), in
 * `details.issues`, with the manifest's `id` in `details.id` when it has one.
 */
export function validateManifest(input: unknown, source?: string): ExtensionManifest {
  try {
    const result = ExtensionManifestSchema.safeParse(input);
    const issues = result.success ? [] : toIssues(result.error);
    issues.push(...crossCheck(input));
    if (issues.length === 0 && result.success) return result.data;
    const id = isRecord(input) && typeof input.id === 'string' ? input.id : undefined;
    const err = validationError('E_MANIFEST_INVALID', `extension manifest${id ? ` "${id}"` : ''}${source ? ` (${source})` : ''}`, issues);
    if (id !== undefined) err.details.id = id;
    if (source !== undefined) err.details.file = source;
    throw err;
  } catch (err) {
    if (isSymphonyError(err)) throw err;
    // A validator bug or a hostile object (a throwing getter): still a coded error, never a crash.
    throw new SymphonyError('E_MANIFEST_INVALID', `extension manifest could not be validated: ${(err as Error)?.message ?? String(err)}`, {
      details: { issues: [{ path: '(root)', message: String((err as Error)?.message ?? err) }], ...(source ? { file: source } : {}) },
      cause: err,
    });
  }
}

/** Checks between fields, run on the raw input so they are reported alongside the field errors. */
function crossCheck(input: unknown): Issue[] {
  if (!isRecord(input)) return [];
  const issues: Issue[] = [];
  const contributes = isRecord(input.contributes) ? input.contributes : {};
  const methods = isRecord(contributes.methods) ? Object.keys(contributes.methods) : [];
  const capabilities = Array.isArray(contributes.capabilities) ? contributes.capabilities : [];
  const capabilityNames: string[] = [];

  capabilities.forEach((cap, i) => {
    const name = typeof cap === 'string' ? cap : isRecord(cap) && typeof cap.name === 'string' ? cap.name : undefined;
    if (name === undefined) return;
    if (capabilityNames.includes(name)) issues.push({ path: `contributes.capabilities[${i}].name`, message: `duplicate capability "${name}"` });
    capabilityNames.push(name);
    const method = isRecord(cap) && typeof cap.method === 'string' ? cap.method : undefined;
    if (methods.length === 0) return;
    if (method !== undefined && !methods.includes(method)) {
      issues.push({ path: `contributes.capabilities[${i}].method`, message: `names method "${method}", which contributes.methods does not declare` });
    } else if (method === undefined && !methods.includes(name)) {
      issues.push({ path: `contributes.capabilities[${i}]`, message: `no method is named "${name}": set \`method\` to the method that provides it` });
    }
  });

  const components = Array.isArray(contributes.components) ? contributes.components : [];
  const componentNames = new Set<string>();
  components.forEach((c, i) => {
    if (!isRecord(c) || typeof c.name !== 'string') return;
    if (componentNames.has(c.name)) issues.push({ path: `contributes.components[${i}].name`, message: `duplicate component "${c.name}"` });
    componentNames.add(c.name);
  });

  if (Array.isArray(input.activation)) {
    input.activation.forEach((event, i) => {
      if (typeof event !== 'string') return;
      const [kind, name] = event.split(':', 2);
      if (name === undefined || name === '*') return;
      if (kind === 'onMethod' && methods.length > 0 && !methods.includes(name)) {
        issues.push({ path: `activation[${i}]`, message: `names method "${name}", which contributes.methods does not declare` });
      }
      if (kind === 'onCapability' && !capabilityNames.includes(name)) {
        issues.push({ path: `activation[${i}]`, message: `names capability "${name}", which contributes.capabilities does not declare` });
      }
    });
  }

  if (typeof input.id === 'string' && isRecord(input.dependencies) && Object.prototype.hasOwnProperty.call(input.dependencies, input.id)) {
    issues.push({ path: formatPath(['dependencies', input.id]), message: 'an extension cannot depend on itself' });
  }
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
