import { useId } from 'react';
import type { Connection, Grant, ProviderSummary } from '../api';
import { ungrantableScopes } from '../../../main/common/grantable-scopes';
import { preselectedAsk } from '../../../main/common/ask-scopes';
import { ALL_SCOPES, type GrantChoice, type GrantChoices } from '../grants';
import { Chip, ProviderMark } from './common';

/**
 * Per connection: no access, everything it holds, or some of its scopes, and for each
 * granted scope whether its calls ask the person first (`askable`). Lists the person's
 * connections plus any connection named in `choices` that no longer exists (so nothing is dropped silently).
 * With `preselectAsk`, a scope that writes, deletes or sends is ticked "ask first" as it is granted.
 */
export function GrantPicker({
  connections,
  providers,
  choices,
  onChange,
  legend = 'Access',
  askable = false,
  preselectAsk = false,
}: {
  connections: readonly Connection[];
  providers: readonly ProviderSummary[];
  choices: GrantChoices;
  onChange: (next: GrantChoices) => void;
  legend?: string;
  askable?: boolean;
  preselectAsk?: boolean;
}) {
  const missing = Object.keys(choices).filter((name) => !connections.some((c) => c.name === name));
  const set = (connection: string, choice: GrantChoice) => onChange({ ...choices, [connection]: choice });

  return (
    <fieldset className="grant-picker">
      <legend className="label">{legend}</legend>
      {connections.length === 0 && missing.length === 0 ? (
        <p className="hint">No connections yet: connect an account first, then grant it here.</p>
      ) : null}
      {[...connections.map((c) => c.name), ...missing].map((name) => {
        const connection = connections.find((c) => c.name === name);
        return (
          <ConnectionGrant
            key={name}
            name={name}
            connection={connection}
            provider={providers.find((p) => p.id === connection?.provider)}
            choice={choices[name] ?? { mode: 'none' }}
            onChoice={(choice) => set(name, choice)}
            askable={askable}
            preselectAsk={preselectAsk}
          />
        );
      })}
    </fieldset>
  );
}

function ConnectionGrant({
  name,
  connection,
  provider,
  choice,
  onChoice,
  askable,
  preselectAsk,
}: {
  name: string;
  /** Undefined when the grant names a connection that no longer exists. */
  connection: Connection | undefined;
  provider: ProviderSummary | undefined;
  choice: GrantChoice;
  onChoice: (choice: GrantChoice) => void;
  askable: boolean;
  preselectAsk: boolean;
}) {
  const id = useId();
  const held = connection?.scopes ?? [];
  // A scope the provider does not enforce next to a broader one it holds (GitHub public_repo next to repo) is not offered.
  const ungrantable = ungrantableScopes(provider?.unenforced_subsets, held);
  const grantable = held.filter((s) => !ungrantable.has(s));
  const chosen = choice.mode === 'some' ? choice.scopes : [];
  // Scopes the grant names but the connection cannot grant stay visible, so they can be unticked.
  const scopes = [...grantable, ...chosen.filter((s) => !grantable.includes(s))];
  const offerSome = scopes.length > 0;
  const ask = choice.mode === 'none' ? [] : (choice.ask ?? []);
  const preselect = (granted: readonly string[]) => (askable && preselectAsk ? preselectedAsk(granted) : []);

  function toggle(scope: string, on: boolean) {
    const next = on ? [...chosen, scope] : chosen.filter((s) => s !== scope);
    const nextAsk = on ? [...ask, ...preselect([scope])] : ask.filter((s) => s !== scope);
    onChoice({ mode: 'some', scopes: scopes.filter((s) => next.includes(s)), ask: nextAsk });
  }

  function toggleAsk(scope: string, on: boolean) {
    const nextAsk = on ? [...ask, scope] : ask.filter((s) => s !== scope);
    onChoice(choice.mode === 'some' ? { ...choice, ask: nextAsk } : { mode: 'all', ask: nextAsk });
  }

  // Named "Ask first" and described by its scope's code (so a scope's own name labels one box only).
  const scopeId = (scope: string) => `${id}-scope-${scopes.indexOf(scope)}`;
  const askBox = (scope: string) =>
    askable ? (
      <label className="ask-first" title="Each call needing this scope waits for your approval" data-ask={scope}>
        <input
          type="checkbox"
          checked={ask.includes(scope)}
          onChange={(e) => toggleAsk(scope, e.target.checked)}
          aria-describedby={scopeId(scope)}
        />
        Ask first
      </label>
    ) : null;

  const modes: { mode: GrantChoice['mode']; label: string }[] = [
    { mode: 'none', label: 'No access' },
    { mode: 'all', label: 'Everything' },
    ...(offerSome ? [{ mode: 'some' as const, label: 'Some scopes' }] : []),
  ];

  return (
    <fieldset className={`grant${choice.mode === 'none' ? '' : ' grant-on'}`} data-grant={name}>
      <legend className="grant-head">
        <ProviderMark id={connection?.provider ?? name} name={provider?.name ?? name} small />
        <span className="grant-name">{name}</span>
        <span className="muted small">
          {connection ? (provider?.name ?? connection.provider) : 'connection not found'}
        </span>
      </legend>
      <div className="segmented">
        {modes.map((m) => (
          <label key={m.mode} className={choice.mode === m.mode ? 'segmented-on' : undefined}>
            <input
              type="radio"
              name={`${id}-mode`}
              value={m.mode}
              checked={choice.mode === m.mode}
              onChange={() =>
                onChoice(
                  m.mode === 'some'
                    ? {
                        mode: 'some',
                        scopes: choice.mode === 'some' ? choice.scopes : [],
                        ask: choice.mode === 'some' ? ask : [],
                      }
                    : m.mode === 'all'
                      ? { mode: 'all', ask: choice.mode === 'all' ? ask : preselect(grantable) }
                      : { mode: 'none' },
                )
              }
            />
            {m.label}
          </label>
        ))}
      </div>
      {choice.mode === 'all' ? (
        <>
          <p className="hint">
            Everything {name} holds{held.length > 0 ? `: ${held.join(', ')}` : ''}.
          </p>
          {askable && grantable.length > 0 ? (
            <div className="grant-scopes" role="group" aria-label={`Ask first on ${name}`}>
              {grantable.map((s) => (
                <div key={s} className="scope">
                  <code id={scopeId(s)}>{s}</code>
                  {askBox(s)}
                </div>
              ))}
            </div>
          ) : null}
        </>
      ) : null}
      {choice.mode === 'some' ? (
        <div className="grant-scopes" role="group" aria-label={`Scopes of ${name}`}>
          {scopes.map((s) => (
            <div key={s} className="scope-row">
              <label className="scope">
                <input
                  type="checkbox"
                  checked={chosen.includes(s)}
                  onChange={(e) => toggle(s, e.target.checked)}
                  value={s}
                />
                <span>
                  <code id={scopeId(s)}>{s}</code>
                  <span className="scope-description">
                    {grantable.includes(s)
                      ? (provider?.scopes.find((x) => x.name === s)?.description ?? '')
                      : ungrantable.has(s)
                        ? `not enforced next to ${ungrantable.get(s)}: grant ${ungrantable.get(s)} instead`
                        : 'not held by this connection'}
                  </span>
                </span>
              </label>
              {chosen.includes(s) ? askBox(s) : null}
            </div>
          ))}
          {chosen.length === 0 ? (
            <p className="hint grant-warning">Tick at least one scope, or choose No access.</p>
          ) : null}
        </div>
      ) : null}
    </fieldset>
  );
}

/** Read-only grants: `connection: scope chips`, "everything" for `*`. */
export function GrantList({ grants, label }: { grants: readonly Grant[]; label: string }) {
  if (grants.length === 0) return <p className="muted small">No access to any connection.</p>;
  return (
    <ul className="grant-list" aria-label={label}>
      {grants.map((g) => (
        <li key={g.connection} data-grant={g.connection}>
          <span className="grant-connection">{g.connection}:</span>
          <span className="chips">
            {g.scopes.includes(ALL_SCOPES) ? (
              <span className="chip chip-all" title={`Every scope ${g.connection} holds`}>
                everything
              </span>
            ) : (
              g.scopes.map((s) => <Chip key={s}>{s}</Chip>)
            )}
            {(g.ask ?? []).map((s) => (
              <span key={`ask-${s}`} className="chip chip-ask" title={`Each call needing ${s} waits for your approval`}>
                asks first: {s}
              </span>
            ))}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** The details of a 400 `invalid_grant_scope`: which scopes the connection does not hold, and which it does. */
export function GrantScopeProblem({ details }: { details: Readonly<Record<string, unknown>> }) {
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const unknown = strings(details.unknown_scopes);
  if (unknown.length === 0) return null;
  const available = strings(details.available_scopes);
  const connection = typeof details.connection === 'string' ? details.connection : 'The connection';
  return (
    <p className="problem-detail" data-testid="grant-scope-problem">
      <code>{connection}</code> does not hold {unknown.map((s) => `“${s}”`).join(', ')}.{' '}
      {available.length > 0 ? <>It holds: {available.join(', ')}.</> : <>It holds no scopes.</>}
    </p>
  );
}
