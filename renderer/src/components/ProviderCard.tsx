import { useEffect, useRef } from 'react';
import type { Connection, LatchkeyApi, ProviderSummary, SecretStore } from '../api';
import { ExternalLink, ProviderMark } from './common';
import type { Notify } from './Notices';
import { ConnectForm } from './ConnectForm';
import { OAuthSetup } from './OAuthSetup';

export function ProviderCard({
  api,
  provider: p,
  connections,
  secretStore,
  expanded,
  focused,
  onToggle,
  onProviderChanged,
  onConnected,
  notify,
}: {
  api: LatchkeyApi;
  provider: ProviderSummary;
  connections: Connection[];
  /** Where secrets go, for the wording; null while the broker's status is not known. */
  secretStore: SecretStore | null;
  expanded: boolean;
  focused: boolean;
  onToggle: () => void;
  onProviderChanged: (updated: ProviderSummary) => void;
  onConnected: () => void;
  notify: Notify;
}) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (focused) ref.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [focused]);

  const isOAuth = p.auth_type === 'oauth2';
  const connected = connections.length;
  const needsClient =
    isOAuth && p.client === null && (p.connect_methods.includes('browser') || p.connect_methods.includes('device'));

  return (
    <article
      ref={ref}
      className={`card provider${expanded ? ' provider-open' : ''}${focused ? ' provider-focused' : ''}`}
      data-provider={p.id}
      aria-labelledby={`provider-${p.id}-name`}
    >
      <header className="provider-head">
        <ProviderMark id={p.id} name={p.name} />
        <div className="provider-title">
          <h2 id={`provider-${p.id}-name`}>{p.name}</h2>
          <div className="provider-meta">
            <span className="tag">{isOAuth ? 'OAuth 2.0' : 'API key'}</span>
            {!p.builtin ? <span className="tag tag-custom">Custom</span> : null}
            {connected > 0 ? (
              <span className="tag tag-ok">
                {connected} connection{connected === 1 ? '' : 's'}
              </span>
            ) : null}
          </div>
        </div>
        <button
          type="button"
          className={`button button-small${expanded ? ' button-quiet' : ''}`}
          aria-expanded={expanded}
          onClick={onToggle}
        >
          {expanded ? 'Close' : needsClient ? 'Set up…' : 'Connect…'}
        </button>
      </header>
      {p.description ? (
        <p
          className={`provider-description muted${expanded ? '' : ' clamp'}`}
          title={expanded ? undefined : p.description}
        >
          {p.description}
        </p>
      ) : null}
      {!expanded && needsClient ? (
        <p className="small muted hint-line">
          {p.connect_methods.includes('personal_token')
            ? 'Needs your own OAuth app, or a personal access token.'
            : 'Needs your own OAuth app first.'}
        </p>
      ) : null}

      {expanded ? (
        <div className="provider-body">
          {isOAuth ? (
            <OAuthSetup
              api={api}
              provider={p}
              secretStore={secretStore}
              onProviderChanged={onProviderChanged}
              notify={notify}
            />
          ) : null}
          <ConnectForm api={api} provider={p} secretStore={secretStore} onConnected={onConnected} notify={notify} />
          {p.docs_url ? (
            <p className="small">
              <ExternalLink href={p.docs_url}>{p.name} documentation ↗</ExternalLink>
            </p>
          ) : null}
        </div>
      ) : null}
    </article>
  );
}
