// The runtime half: what an extension is written with and served by.
export {
  defineOperator,
  defineInstrument,
  defineMotif,
  method,
  isExtensionDefinition,
  manifestDrift,
  serveExtension,
  type AnyMethod,
  type ExtensionContext,
  type ExtensionDefinition,
  type ExtensionLog,
  type LogFields,
  type ManifestInput,
  type MethodFunction,
  type MethodInput,
  type MethodOutput,
  type MethodSpec,
  type ServeExtensionOptions,
} from './runtime/index.js';
// The authoring half's package format (pack, sign, verify, publish client): see src/pack/index.ts.
export * from './pack/index.js';
