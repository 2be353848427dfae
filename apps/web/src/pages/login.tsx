import { useEffect, useState, type FormEvent } from 'react';
import { Alert } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card } from '../components/ui/card';
import { Field, Input } from '../components/ui/fields';

/** The server wants a login: an API token (`symphony tokens create --scope run`) becomes a session. */
export function LoginPage({ error, onLogin }: { error?: string; onLogin(token: string): Promise<void> }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => { document.title = 'Log in · Symphony'; }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!token.trim()) return;
    setBusy(true);
    try { await onLogin(token.trim()); } finally { setBusy(false); }
  };
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-4 p-6" data-testid="page-login">
      <h1 className="text-2xl font-semibold tracking-tight">Log in to Symphony</h1>
      <Card className="w-full max-w-md" title="API token" description="Log in with an API token. Create one with `symphony tokens create --scope run`; it is shown once.">
        <form className="flex flex-col gap-4" onSubmit={(e) => void submit(e)}>
          <Field label="API token" htmlFor="token">
            <Input id="token" name="token" type="password" autoComplete="off" autoFocus value={token} onChange={(e) => setToken(e.target.value)} placeholder="sym_…" />
          </Field>
          {error && <Alert tone="destructive" title="Not logged in" data-testid="login-error">{error}</Alert>}
          <Button type="submit" disabled={busy || !token.trim()}>{busy ? 'Logging in…' : 'Log in'}</Button>
        </form>
      </Card>
    </main>
  );
}
