/** The login page: the admin token, kept in sessionStorage once the host accepts it. */
import { useState } from 'preact/hooks';
import { checkToken, session } from './api.js';

export function LoginView() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (await checkToken(token.trim())) session.set(token.trim());
      else setError('The host refused this token.');
    } catch {
      setError('The host cannot be reached.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <form class="login-form" method="post" onSubmit={(e) => void submit(e)} aria-describedby="login-help">
        <h1 tabIndex={-1}>Liquid Nano console</h1>
        <p id="login-help">
          Log in with the admin token (the file <code>admin-token</code> in the data dir, or <code>LNANO_ADMIN_TOKEN</code>). It is kept for this tab only.
        </p>
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy || token.trim() === ''}>
          Log in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
