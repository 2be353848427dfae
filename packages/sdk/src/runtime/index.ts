export {
  defineOperator,
  defineInstrument,
  defineMotif,
  method,
  isExtensionDefinition,
  manifestDrift,
  type AnyMethod,
  type ExtensionDefinition,
  type ManifestInput,
  type MethodFunction,
  type MethodInput,
  type MethodOutput,
  type MethodSpec,
} from './define.js';
export type { ExtensionContext, ExtensionLog, LogFields } from './context.js';
export { serveExtension, type ServeExtensionOptions } from './serve.js';
