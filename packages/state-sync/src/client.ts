// Browser-safe entry (no lmdb): what a front end needs to follow a server's state.
export { createSyncClient, type SyncClient } from './client-store.js';
export { applyJsonPatch, getAt, deepEqual, type Json, type JsonPatchOp } from './json-patch.js';
export { parsePointer, formatPointer } from './pointer.js';
export { PathSubscriptions, type PathListener } from './subscriptions.js';
export { isSyncMessage, type SyncChannel, type SyncClientMessage, type SyncServerMessage } from './protocol.js';
export { STATE_ERRORS, type StateErrorCode } from './errors.js';
