import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { themeStylesheet } from '@symphony/stage-motifs';
import { App } from './app';
import { Connection } from './lib/connection';
import { ConnectionContext } from './lib/hooks';
import './index.css';

// Design tokens from the motifs package: light on :root, dark on .dark.
document.head.append(Object.assign(document.createElement('style'), { textContent: themeStylesheet() }));

const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/ws`;
const connection = new Connection(wsUrl);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ConnectionContext.Provider value={connection}>
      <App />
    </ConnectionContext.Provider>
  </StrictMode>,
);
