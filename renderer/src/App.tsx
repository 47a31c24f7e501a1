import { useEffect, useMemo, useState } from 'react';
import { LatchkeyApi } from './api';
import { consumeFragment, forgetToken, type LaunchParams } from './session';
import { LiveEvents, useLiveEventHub } from './live';
import { parseRoute, routeHash } from './route';
import { Dashboard } from './components/Dashboard';
import { NeedsLink } from './components/NeedsLink';

export function App({ initialToken, initialLaunch }: { initialToken: string | null; initialLaunch: LaunchParams }) {
  const [token, setToken] = useState(initialToken);
  const [rejected, setRejected] = useState(false);
  const [route, setRoute] = useState(
    () =>
      parseRoute(window.location.hash) ?? {
        view: initialLaunch.view ?? (initialLaunch.provider ? 'providers' : 'connections'),
        params: {},
      },
  );
  const [focusProvider, setFocusProvider] = useState<{ id: string; seq: number } | null>(
    initialLaunch.provider ? { id: initialLaunch.provider, seq: 0 } : null,
  );

  // Back/forward and typed addresses move between views (`#/agents`); the desktop shell (and a
  // second click on a dashboard link) may load a new `#admin=…` fragment into this page.
  useEffect(() => {
    const onHash = () => {
      const next = parseRoute(window.location.hash);
      if (next) {
        setRoute(next);
        return;
      }
      const { token: fresh, launch } = consumeFragment();
      if (fresh && fresh !== token) {
        setToken(fresh);
        setRejected(false);
      }
      if (launch.view || launch.provider) setRoute({ view: launch.view ?? 'providers', params: {} });
      if (launch.provider) setFocusProvider((f) => ({ id: launch.provider as string, seq: (f?.seq ?? 0) + 1 }));
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [token]);

  const hub = useLiveEventHub();
  const api = useMemo(
    () =>
      token
        ? new LatchkeyApi(token, () => {
            forgetToken();
            setRejected(true);
          })
        : null,
    [token],
  );

  if (!api || rejected) return <NeedsLink rejected={rejected} />;
  return (
    <LiveEvents.Provider value={hub}>
      <Dashboard
        api={api}
        hub={hub}
        view={route.view}
        routeParams={route.params}
        // A new history entry: back returns to the previous view.
        onView={(view, params) => {
          window.location.hash = routeHash(view, params);
        }}
        focusProvider={focusProvider}
        onFocusProvider={(id) => setFocusProvider((f) => ({ id, seq: (f?.seq ?? 0) + 1 }))}
      />
    </LiveEvents.Provider>
  );
}
