export { createServer, type ServerOptions, type SymphonyServer, type Caller } from './app.js';
export type { ServerBackend, RunSummary, ArtifactSummary } from './backend.js';
export { EventLog, type LoggedEvent } from './event-log.js';
export { TokenStore, SCOPES, scopeAllows, type Scope, type TokenInfo } from './auth/tokens.js';
export { SessionStore, type Session } from './auth/sessions.js';
export { RateLimiter } from './auth/rate-limit.js';
export { openApiDocument, type RouteDef } from './routes.js';
export { WS_CLOSE, type WsOptions } from './ws.js';
export { tokensCommand } from './tokens-cli.js';
