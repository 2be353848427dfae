import type { z } from 'zod';
import { issuesFromZod } from '@symphony/types';
import { componentSchemas, leafComponents } from './components.js';
import { describePath, vdomError } from './errors.js';
import type { Path, VChild, VirtualNode } from './types.js';

export interface ComponentDefinition {
  schema: z.ZodType;
  /** True when the component takes no children. */
  leaf?: boolean;
}

/** The allowlist of renderable components, checked at the extension's side before anything is sent. */
export interface ComponentRegistry {
  has(type: string): boolean;
  names(): string[];
  /**
   * Throws `E_VDOM_UNKNOWN_COMPONENT`, `E_VDOM_PROPS_INVALID` or `E_VDOM_CHILDREN_INVALID` with
   * the node's path. `types` are the component names from the root down to this node.
   */
  validateNode(node: VirtualNode, path: Path, types: string[]): void;
}

export function createRegistry(extra: Record<string, ComponentDefinition> = {}): ComponentRegistry {
  const defs = new Map<string, ComponentDefinition>();
  for (const [name, schema] of Object.entries(componentSchemas)) defs.set(name, { schema, leaf: leafComponents.has(name) });
  for (const [name, def] of Object.entries(extra)) defs.set(name, def);
  return {
    has: (type) => defs.has(type),
    names: () => [...defs.keys()],
    validateNode(node, path, types) {
      const def = defs.get(node.type);
      const where = describePath(types, path);
      if (!def) {
        throw vdomError('E_VDOM_UNKNOWN_COMPONENT', `Unknown component "${node.type}" at ${where}; registered: ${[...defs.keys()].join(', ')}`, {
          path, where, type: node.type,
        });
      }
      const result = def.schema.safeParse(node.props);
      if (!result.success) {
        const issues = issuesFromZod(result.error);
        const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
        throw vdomError('E_VDOM_PROPS_INVALID', `Invalid props for ${node.type} at ${where}:\n${lines}`, {
          path, where, type: node.type, issues,
        });
      }
      if (def.leaf && node.children.length > 0) {
        throw vdomError('E_VDOM_CHILDREN_INVALID', `${node.type} at ${where} takes no children (got ${node.children.length})`, {
          path, where, type: node.type,
        });
      }
    },
  };
}

export const defaultRegistry: ComponentRegistry = createRegistry();

/** Validates a whole tree (every node). `UiRoot` validates only the nodes that changed. */
export function validateTree(tree: VirtualNode, registry: ComponentRegistry = defaultRegistry): void {
  const walk = (node: VChild, path: Path, types: string[]): void => {
    if (typeof node === 'string') return;
    const here = [...types, node.type];
    registry.validateNode(node, path, here);
    node.children.forEach((child, i) => walk(child, [...path, i], here));
  };
  walk(tree, [], []);
}
