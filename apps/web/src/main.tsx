import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { themeStylesheet } from '@symphony/stage-motifs';
import { Root } from './root';
import './index.css';

// A deep link to a run: its page's code starts loading now, alongside the session check.
if (/^\/runs\/[^/]+/.test(window.location.pathname)) void import('./pages/run-detail');

// Design tokens from the motifs package: light on :root, dark on .dark. A constructed stylesheet,
// not a <style> element: the server's Content-Security-Policy allows no inline style (host/csp.mjs).
const theme = new CSSStyleSheet();
theme.replaceSync(themeStylesheet());
document.adoptedStyleSheets = [...document.adoptedStyleSheets, theme];

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
