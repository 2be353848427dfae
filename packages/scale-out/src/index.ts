export { attachScaleOut, scaleOutFromEnv, workerCatalog, type ScaleOut, type ScaleOutConfig } from './attach.js';
export { createDispatcher, type Dispatcher, type DispatcherOptions, type DispatchRequest, type DispatchStatus, type QueueStats, QUEUE_EWMA_ALPHA, type MetricsLike, type RemoteExtension, type WorkerEntry } from './dispatcher.js';
export { startScaleWorker, HEARTBEAT_MS, WORKER_TTL_MS, type ScaleWorker, type ScaleWorkerOptions, type WorkerStage } from './worker.js';
export { redisOptions, redact, type RedisTarget } from './connection.js';
export { putBlob, streamBlob, putValue, getValue, isBlobRef, CHUNK_BYTES, DEFAULT_INLINE_LIMIT, DEFAULT_MAX_BLOB_BYTES, type BlobRef } from './blobs.js';
export { jobIdFor, queueName, DEFAULT_PREFIX, type JobEnvelope, type ResultEnvelope } from './protocol.js';
export { sign, verify, seal, checkSecret, MIN_SECRET_BYTES, type Signed } from './sign.js';
