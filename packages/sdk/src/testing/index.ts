// `@symphony/sdk/testing`: the harness an extension's tests run against.
export { createTestHost, type TestHost, type TestHostOptions, type CapturedEvent, type CapturedProgress, type AuditRecord } from './test-host.js';
export { createTestView, textOf, type TestView, type VNode } from './test-view.js';
export { importHostPackage } from './resolve-host.js';
