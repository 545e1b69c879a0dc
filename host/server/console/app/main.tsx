/** The console's shell: the login page until the session has a token, then the views by `#/route`. */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { session } from './api.js';
import { AuditView } from './audit.js';
import { ComponentView } from './component-detail.js';
import { ComponentsView } from './components.js';
import { ComposerView } from './composer.js';
import { LiveView } from './live.js';
import { LoginView } from './login.js';
import { PipelinesView } from './pipelines.js';

const NAV = [
  { href: '#/components', label: 'Components' },
  { href: '#/audit', label: 'Audit' },
  { href: '#/live', label: 'Live' },
  { href: '#/pipelines', label: 'Pipelines' },
] as const;

/**
 * The route (`#/…`). A fragment that is not a route (the skip link's `#main`) is an in-page jump:
 * the route stays as it was (put back in the address bar) and the focus goes to the main content.
 */
function useHash(): string {
  const [hash, setHash] = useState(location.hash.startsWith('#/') ? location.hash : '#/components');
  useEffect(() => {
    const on = (e: HashChangeEvent): void => {
      if (location.hash && !location.hash.startsWith('#/')) {
        // The address the jump left (a Live view's filters included), back in the address bar.
        history.replaceState(null, '', new URL(e.oldURL).hash || '#/components');
        focusContent();
        return;
      }
      setHash(location.hash || '#/components');
    };
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

/** A route's parts: `#/component/echo` is `['component', 'echo']`; the query (`?component=echo`) is left out. */
export function routeParts(hash: string): string[] {
  return (hash.replace(/^#\/?/, '').split('?')[0] ?? '').split('/').map(decodeURIComponent);
}

/** The page title of a route: the view (and what it shows), then the product. */
export function titleOf(hash: string): string {
  const parts = routeParts(hash);
  const view =
    parts[0] === 'component'
      ? `${parts[2] === 'logs' ? 'Logs of ' : ''}${parts[1] ?? ''} · Components`
      : parts[0] === 'audit'
        ? 'Audit trail'
        : parts[0] === 'live'
          ? 'Live timeline'
          : parts[0] === 'pipelines'
            ? 'Pipelines'
            : parts[0] === 'compose'
              ? parts[1]
                ? `Edit ${parts[1]} · Pipelines`
                : 'New pipeline · Pipelines'
              : 'Components';
  return `${view} — Liquid Nano console`;
}

/** Moves the focus to the view's heading (the start of its main content). */
function focusContent(): void {
  const target = document.querySelector<HTMLElement>('main h1') ?? document.getElementById('main');
  target?.focus();
  target?.scrollIntoView({ block: 'start' });
}

function Route(props: { hash: string }) {
  const parts = routeParts(props.hash);
  switch (parts[0]) {
    case 'component':
      return <ComponentView name={parts[1] ?? ''} tab={parts[2] === 'logs' ? 'logs' : 'overview'} key={parts[1]} />;
    case 'audit':
      return <AuditView />;
    case 'live':
      return <LiveView />;
    case 'pipelines':
      return <PipelinesView />;
    case 'compose':
      return <ComposerView name={parts[1] ?? null} key={parts[1] ?? ''} />;
    default:
      return <ComponentsView />;
  }
}

function App() {
  const [token, setToken] = useState(session.token);
  useEffect(() => session.subscribe(() => setToken(session.token)), []);
  const hash = useHash();
  const first = useRef(true);
  useEffect(() => {
    // After a navigation (not the first load), focus the new view's heading: keyboard users start at its top.
    if (first.current) {
      first.current = false;
      return;
    }
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [routeParts(hash).join('/'), token]);
  useEffect(() => {
    document.title = token ? titleOf(hash) : 'Log in — Liquid Nano console';
  }, [hash, token]);
  if (!token) return <LoginView />;
  const section = hash.startsWith('#/component/') ? '#/components' : hash.startsWith('#/compose') ? '#/pipelines' : hash;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Liquid Nano</span>
        <nav aria-label="Sections">
          <ul>
            {NAV.map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={section.startsWith(n.href) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="logout" onClick={() => session.clear()}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Route hash={hash} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
