// What the built web app needs from the page it runs in, as HTTP headers: apps/server sends them
// with every HTML answer of `symphony serve`, and the test host (host/server.mjs) does the same, so
// the browser tests run the app under the policy users get. No dependencies: the server imports it.

/**
 * The app's Content-Security-Policy. Everything comes from the app's own origin: the hashed
 * scripts and styles Vite emits (no inline script or `<style>`: the theme's tokens are a
 * constructed stylesheet, Markdown table alignment a class), the API and both WebSockets
 * (`connect-src 'self'` covers ws:/wss: to the same host), the icons and manifest. `img-src`
 * adds `data:` for images a Markdown artifact embeds (remote ones are shown as links instead). No
 * plugins, no `<base>`, forms post only here, and no other site may frame the app.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "worker-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * For anything that is not the app (API answers, artifacts, icons): nothing may load or run,
 * and a document opened from it is sandboxed into an opaque origin.
 */
export const inertContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; sandbox";

/** Sent with every answer. */
export const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
