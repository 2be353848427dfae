import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { themeStylesheet } from '@symphony/stage-motifs';
import { Root } from './root';
import './index.css';

// A deep link to a run: its page's code starts loading now, alongside the session check.
if (/^\/runs\/[^/]+/.test(window.location.pathname)) void import('./pages/run-detail');

// Design tokens from the motifs package: light on :root, dark on .dark.
document.head.append(Object.assign(document.createElement('style'), { textContent: themeStylesheet() }));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
