export { installedExtensions } from './catalog.js';
export { createSymphony, assertHomeOutsideWorkspace, type Symphony, type SymphonyOptions, type StepDefinition, type LogLevel } from './symphony.js';
export { withInstrumentPool, type InstrumentPoolOptions } from './instrument-pool.js';
