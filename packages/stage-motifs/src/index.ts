export { createMotif, motifMethods, type MotifEmitter, type Motif, type MotifDefinition, type MotifMethod, type PanelDefinition, type PanelInfo } from './motif.js';
export { themes, themeToCssVariables, themeStylesheet, type ThemeTokens, type ThemeName } from './themes.js';
export {
  createRunMonitor, reduceRunEvents, describeRun, emptyMonitor, LOG_LIMIT, RUN_LIMIT,
  type MonitorData, type RunView, type StepView, type StepStatus, type RunStatus, type RunEventRecord,
} from './run-monitor.js';
export { createArtifactBrowser, type ArtifactInfo, type ArtifactVersionInfo } from './artifact-browser.js';
