import { lazy, Suspense, useEffect, useState } from 'react';
import { Badge } from './components/ui/badge';
import { Button } from './components/ui/button';
import { useAppState, useConnection, useConnectionValue } from './lib/hooks';
import { useApi } from './lib/api';
import { cn } from './lib/cn';
import { RunsPage } from './pages/runs';
import { parseRunPath, usePath } from './lib/router';

// Pages other than the runs page load when first opened.
const ExtensionsPage = lazy(() => import('./pages/extensions').then((m) => ({ default: m.ExtensionsPage })));
const MotifsPage = lazy(() => import('./pages/motifs').then((m) => ({ default: m.MotifsPage })));
const ArtifactsPage = lazy(() => import('./pages/artifacts').then((m) => ({ default: m.ArtifactsPage })));

const THEME_KEY = 'symphony.theme';
const readTheme = (): string | null => { try { return localStorage.getItem(THEME_KEY); } catch { return null; } };

const pages = { runs: 'Runs', extensions: 'Extensions', artifacts: 'Artifacts', motifs: 'Motifs' } as const;
type Page = keyof typeof pages;

/** The page from the URL: a path (`/extensions`, `/runs/:id/steps/:step`) or, for old links, a hash (`#/extensions`). */
const pageFromLocation = (): Page => {
  const path = window.location.pathname.replace(/^\/+/, '').split('/')[0] ?? '';
  const name = path || window.location.hash.replace(/^#\/?/, '').split('/')[0] || '';
  return name in pages ? (name as Page) : 'runs';
};

export function App() {
  const connection = useConnection();
  const { auth, logout } = useApi();
  const [page, setPage] = useState<Page>(pageFromLocation);
  const state = useAppState();
  const path = usePath();
  const status = useConnectionValue((c) => c.status);
  const notices = useConnectionValue((c) => c.notices);
  useEffect(() => {
    const onMove = () => { setPage(pageFromLocation()); connection.clearNotices(); };
    window.addEventListener('hashchange', onMove);
    window.addEventListener('popstate', onMove);
    return () => { window.removeEventListener('hashchange', onMove); window.removeEventListener('popstate', onMove); };
  }, [connection]);
  // The window's title says where it is (the desktop app's window list, tabs, history).
  useEffect(() => {
    const run = /^\/runs\/([^/]+)(?:\/steps\/([^/]+))?/.exec(path);
    document.title = run ? `${run[2] ? `Step ${decodeURIComponent(run[2])} · ` : ''}Run ${decodeURIComponent(run[1]!)} · Symphony` : `${pages[page]} · Symphony`;
  }, [page, path]);
  // The theme is this browser's own choice, never shared with other sessions.
  const [theme, setTheme] = useState<'light' | 'dark'>(() => (readTheme() === 'dark' ? 'dark' : 'light'));
  useEffect(() => {
    document.documentElement.classList.toggle('dark', theme === 'dark');
    try { localStorage.setItem(THEME_KEY, theme); } catch { /* storage may be off: the choice lasts this page */ }
  }, [theme]);

  return (
    <div className="flex min-h-screen flex-col">
      <header className="flex flex-wrap items-center gap-x-4 gap-y-2 border-b px-4 py-3 sm:px-6">
        <span className="text-lg font-semibold tracking-tight">Symphony</span>
        <nav className="flex flex-wrap gap-1" aria-label="Pages">
          {(Object.keys(pages) as Page[]).map((p) => (
            <a key={p} href={`/${p}`} data-testid={`nav-${p}`} aria-current={p === page ? 'page' : undefined}
              onClick={(e) => {
                if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                e.preventDefault();
                window.history.pushState(null, '', `/${p}`);
                setPage(p);
                connection.clearNotices();
              }}
              className={cn('rounded-md px-3 py-1.5 text-sm font-medium', p === page ? 'bg-secondary text-secondary-foreground' : 'text-muted-foreground hover:text-foreground')}>
              {pages[p]}
            </a>
          ))}
        </nav>
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <Badge tone={status === 'open' ? 'success' : 'warning'} data-testid="connection">{status === 'open' ? 'connected' : status}</Badge>
          <Button variant="outline" size="sm" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
            {theme === 'dark' ? 'Light' : 'Dark'} theme
          </Button>
          {auth.status === 'authed' && <Button variant="outline" size="sm" data-testid="logout" onClick={logout}>Log out</Button>}
        </div>
      </header>
      <main className="mx-auto w-full max-w-6xl min-w-0 flex-1 p-4 sm:p-6" data-testid={`page-${page}`}>
        <h1 className="mb-4 text-2xl font-semibold tracking-tight">{pages[page]}</h1>
        {/* Nothing renders from half-loaded state: the state client says when it is hydrated. */}
        <Suspense fallback={<p className="text-sm text-muted-foreground">Loading…</p>}>
          {/* A run's page reads the HTTP API only: it does not wait for the socket's state. */}
          {page === 'runs' && auth.status === 'authed' && parseRunPath(path).runId ? <RunsPage state={state} />
            : !state ? <p className="text-sm text-muted-foreground" data-testid="hydrating">Connecting to the host…</p>
            : page === 'runs' ? <RunsPage state={state} />
            : page === 'extensions' ? <ExtensionsPage state={state} />
            : page === 'artifacts' ? <ArtifactsPage state={state} />
            : <MotifsPage state={state} />}
        </Suspense>
      </main>
      {notices.length > 0 && (
        <footer role="status" className="border-t px-6 py-2 text-xs text-muted-foreground" data-testid="notices">
          {notices[notices.length - 1]!.code}: {notices[notices.length - 1]!.message}
        </footer>
      )}
    </div>
  );
}
