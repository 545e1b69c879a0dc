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

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/components');
  useEffect(() => {
    const on = (): void => setHash(location.hash || '#/components');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function Route(props: { hash: string }) {
  const parts = props.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (parts[0]) {
    case 'component':
      return <ComponentView name={parts[1] ?? ''} key={parts[1]} />;
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
      <main id="main">
        <Route hash={hash} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
