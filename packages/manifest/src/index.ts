export {
  ExtensionManifestSchema,
  PermissionsSchema,
  ContributesSchema,
  MethodContributionSchema,
  CapabilitySchema,
  ComponentSchema,
  ActivationEventSchema,
  PathPatternSchema,
  HostPatternSchema,
  EnvNameSchema,
  CapabilityNameSchema,
  EXTENSION_KINDS,
  PATH_VARIABLES,
  manifestJsonSchema,
  type ExtensionManifest,
  type ExtensionManifestInput,
  type ExtensionKind,
  type Permissions,
  type Contributes,
  type MethodContribution,
  type Capability,
  type Component,
  type ActivationEvent,
  type PathVariable,
} from './schema.js';
export type { JsonSchema } from './json-schema.js';
export { validateManifest } from './validate.js';
export { parseManifest, loadManifest, MANIFEST_FILES, type ManifestFormat, type LoadedManifest } from './parse.js';
export { expandPath, expandPermissionPaths, type PathVariables } from './variables.js';
export { satisfiesEngine, checkEngine } from './engine.js';
