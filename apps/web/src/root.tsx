import { useCallback, useEffect, useMemo, useState } from 'react';
import { App } from './app';
import { Connection } from './lib/connection';
import { ConnectionContext } from './lib/hooks';
import { Api, ApiContext, type AuthState } from './lib/api';
import { LoginPage } from './pages/login';

const wsUrl = () => `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/ws`;

/**
 * Decides whether to show the login screen (the server answered 401) or the app; the WebSocket
 * opens only once the session cookie exists, since the server refuses unauthenticated upgrades.
 */
export function Root() {
  const api = useMemo(() => new Api(), []);
  const [auth, setAuth] = useState<AuthState>({ status: 'checking' });
  useEffect(() => {
    // The desktop launcher opens `…#login=<one-time code>`: a fragment never reaches a server or
    // its logs. It is removed from the address (and history) before anything else, then
    // exchanged once for the session cookie; the code is worthless afterwards.
    const m = /^#login=([A-Za-z0-9_-]{16,64})$/.exec(window.location.hash);
    if (m) {
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
      void api.login({ code: m[1]! }).then((next) => (next.status === 'authed' ? setAuth(next) : api.session().then(setAuth)));
      return;
    }
    void api.session().then(setAuth);
  }, [api]);

  const live = auth.status === 'open' || auth.status === 'authed';
  const [connection, setConnection] = useState<Connection>();
  useEffect(() => {
    if (!live) return;
    const c = new Connection(wsUrl());
    setConnection(c);
    // A socket that keeps closing may mean the session expired: ask, and show the login if so.
    let checking = false;
    const off = c.subscribe(() => {
      if (c.status !== 'closed' || checking || auth.status !== 'authed') return;
      checking = true;
      void api.session().then((next) => { checking = false; if (next.status === 'login') setAuth({ status: 'login', error: 'Your session has ended; log in again.' }); });
    });
    return () => { off(); c.close(); setConnection(undefined); };
  }, [live, api, auth.status]);

  const logout = useCallback(() => { void api.logout().then(() => setAuth({ status: 'login' })); }, [api]);
  const login = useCallback(async (token: string) => setAuth(await api.login(token)), [api]);
  const context = useMemo(() => ({ api, auth, logout }), [api, auth, logout]);

  if (auth.status === 'checking') return <p className="p-6 text-sm text-muted-foreground" data-testid="checking">Connecting…</p>;
  if (auth.status === 'login') return <LoginPage error={auth.error} onLogin={login} />;
  if (!connection) return null;
  return (
    <ApiContext.Provider value={context}>
      <ConnectionContext.Provider value={connection}>
        <App />
      </ConnectionContext.Provider>
    </ApiContext.Provider>
  );
}
