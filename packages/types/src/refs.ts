import { z } from 'zod';
import { ExtensionIdSchema } from './workflow.js';

/** A pointer to one immutable artifact version in the store. */
export const ArtifactRefSchema = z
  .object({
    name: z.string().min(1).max(512),
    version: z.number().int().positive(),
    /** sha-256 of the content, hex. */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().min(0).optional(),
  })
  .strict();
export type ArtifactRef = z.output<typeof ArtifactRefSchema>;

/** Who produced something: a run, one of its steps, an extension. */
export const ProducerSchema = z
  .object({
    runId: z.string().optional(),
    stepId: z.string().optional(),
    extensionId: z.string().optional(),
  })
  .strict();
export type Producer = z.output<typeof ProducerSchema>;

export const ExtensionRefSchema = z
  .object({
    id: ExtensionIdSchema,
    version: z.string().optional(),
    method: z.string().optional(),
  })
  .strict();
export type ExtensionRef = z.output<typeof ExtensionRefSchema>;

/** What config and tooling know about a plugin without loading it. */
export const PluginDescriptorSchema = z
  .object({
    name: z.string().min(1),
    version: z.string().min(1),
    dependsOn: z.array(z.string()).default([]),
    requires: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type PluginDescriptor = z.output<typeof PluginDescriptorSchema>;

export type HealthStatus = 'ok' | 'degraded' | 'down';
export interface HealthReport {
  status: HealthStatus;
  detail?: string;
  [key: string]: unknown;
}
