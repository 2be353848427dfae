import { useEffect, useState, type MouseEvent } from 'react';

/** Moves to an app path without a reload (the server answers the same path with the app on a reload). */
export function navigate(path: string): void {
  if (window.location.pathname + window.location.search === path) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The current path, updated on navigation (back/forward included). */
export function usePath(): string {
  const [path, setPath] = useState(() => window.location.pathname);
  useEffect(() => {
    const on = () => setPath(window.location.pathname);
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return path;
}

/** `/runs/:id` and `/runs/:id/steps/:step`. */
export function parseRunPath(path: string): { runId?: string; stepId?: string } {
  const m = /^\/runs\/([^/]+)(?:\/steps\/([^/]+))?\/?$/.exec(path);
  return m ? { runId: decodeURIComponent(m[1]!), ...(m[2] ? { stepId: decodeURIComponent(m[2]) } : {}) } : {};
}

export const runPath = (runId: string, stepId?: string) => `/runs/${encodeURIComponent(runId)}${stepId ? `/steps/${encodeURIComponent(stepId)}` : ''}`;

/** An `<a onClick>` that navigates in the app for a plain click and lets the browser handle the rest (new tab, ...). */
export const linkClick = (path: string) => (e: MouseEvent) => {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(path);
};

/** `850 ms`, `2.6 s`, `4 min 5 s`, `2 h 3 min`. */
export function humanDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A local date and time, to the second. */
export const when = (at: number | undefined) => (at ? new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—');
