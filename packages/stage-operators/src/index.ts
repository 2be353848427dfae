export { defineBuiltinOperator, operatorEnvironment, OPERATORS_DIR, type OperatorEnvironment } from './operator.js';
export { policyGuard, fsError, type PathGuard } from './guard.js';
export { FILES_MANIFEST, DATA_MANIFEST, GIT_MANIFEST } from './manifests.js';
export { BUILTIN_OPERATORS_DIR, BUILTIN_OPERATORS, type BuiltinOperator } from './builtin.js';
export { readTextFile, writeFileAtomic, statPath, listDirectory, globFiles, hashFile, measureFiles, DEFAULT_MAX_READ_BYTES, type FileStat, type EntryType } from './file-ops.js';
export { readRecords, writeRecords, formatOf, type DataFormat, type CsvOptions } from './data-io.js';
export {
  transform,
  applySteps,
  openSource,
  aggregateToTransform,
  writeInline,
  TransformSchema,
  AggregateSpecSchema,
  SourceSchema,
  JoinSchema,
  MAX_RECORDS_IN_MEMORY,
  type DataContext,
  type Source,
  type TransformResult,
  type TransformSpec,
} from './data-ops.js';
export { ConditionSchema, ExprSchema, StepSchema, evalExpr, testCondition, getField, type Condition, type DataRecord, type Expr, type Step } from './data-spec.js';
export { gitLog, gitDiff, gitStatus, gitBlame, gitShow, gitCurrentBranch, checkRevision, runGit, type Commit, type BlameLine, type StatusEntry, type GitContext } from './git-ops.js';
