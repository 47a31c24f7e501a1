import { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  describeError,
  type AgentView,
  type AuditDecision,
  type AuditEntry,
  type AuditExportFormat,
  type AuditFilters,
  type AuditKind,
  type AuditVerification,
  type Connection,
  type LatchkeyApi,
} from '../api';
import { matchesAuditFilters, prependEntries } from '../audit-match';
import { byteSize, clockTime, fullDate } from '../format';
import { useLiveEventsHub } from '../live';
import { Badge, ErrorMessage, saveFile, Spinner } from './common';
import type { Notify } from './Notices';

type Err = { code: string; description: string } | null;

const PAGE_SIZE = 50;

const KINDS: { value: AuditKind; label: string }[] = [
  { value: 'proxy', label: 'Proxied request' },
  { value: 'token', label: 'Token' },
  { value: 'approval', label: 'Approval' },
  { value: 'revocation', label: 'Revocation' },
  { value: 'connection', label: 'Connection change' },
  { value: 'agent', label: 'Agent change' },
  { value: 'control', label: 'Pause / resume' },
];

const DECISIONS: { value: AuditDecision; label: string }[] = [
  { value: 'allow', label: 'Allowed' },
  { value: 'deny', label: 'Denied' },
  { value: 'info', label: 'Info' },
];

/** The filter form as typed: select values and `datetime-local` strings (local time). */
interface FilterForm {
  agent: string;
  connection: string;
  decision: '' | AuditDecision;
  kind: '' | AuditKind;
  since: string;
  until: string;
}

const NO_FILTERS: FilterForm = { agent: '', connection: '', decision: '', kind: '', since: '', until: '' };

function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function toFilters(form: FilterForm): AuditFilters {
  const since = localToIso(form.since);
  const until = localToIso(form.until);
  return {
    ...(form.agent ? { agent: form.agent } : {}),
    ...(form.connection ? { connection: form.connection } : {}),
    ...(form.decision ? { decision: form.decision } : {}),
    ...(form.kind ? { kind: form.kind } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}

const isOneOf = <V extends string>(options: readonly { value: V }[], value: string | undefined): value is V =>
  options.some((o) => o.value === value);

/** The filters a route carries (`#/audit?agent=…&decision=deny`); unknown values are ignored. */
function formOf(params: Record<string, string>): FilterForm {
  return {
    ...NO_FILTERS,
    agent: params.agent ?? '',
    connection: params.connection ?? '',
    decision: isOneOf(DECISIONS, params.decision) ? params.decision : '',
    kind: isOneOf(KINDS, params.kind) ? params.kind : '',
  };
}

export function AuditView({
  api,
  agents,
  connections,
  initialFilters,
  onFiltersChanged,
  notify,
}: {
  api: LatchkeyApi;
  agents: AgentView[];
  connections: Connection[];
  initialFilters: Record<string, string>;
  /** The filters that belong in the view's address, after each change. */
  onFiltersChanged: (params: Record<string, string>) => void;
  notify: Notify;
}) {
  const id = useId();
  const [form, setForm] = useState<FilterForm>(() => formOf(initialFilters));
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState<'first' | 'more' | null>('first');
  const [error, setError] = useState<Err>(null);
  const [verification, setVerification] = useState<AuditVerification | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [exporting, setExporting] = useState<AuditExportFormat | null>(null);
  // Each new filter set bumps the generation; answers to an older one are dropped.
  const generation = useRef(0);

  const filters = useMemo(() => toFilters(form), [form]);

  // Entries that arrived while the first page was loading: merged once it is there.
  const arrivedWhileLoading = useRef<AuditEntry[]>([]);
  const load = useCallback(
    async (appliedFilters: AuditFilters, after: string | null) => {
      const gen = after === null ? ++generation.current : generation.current;
      if (after === null) arrivedWhileLoading.current = [];
      setLoading(after === null ? 'first' : 'more');
      setError(null);
      try {
        const page = await api.audit(appliedFilters, after ?? undefined, PAGE_SIZE);
        if (gen !== generation.current) return;
        setEntries((current) => (after === null ? prependEntries(page.entries, arrivedWhileLoading.current) : [...(current ?? []), ...page.entries]));
        setCursor(page.next_cursor);
      } catch (e) {
        if (gen === generation.current) setError(describeError(e));
      } finally {
        if (gen === generation.current) setLoading(null);
      }
    },
    [api],
  );

  useEffect(() => {
    void load(filters, null);
    onFiltersChanged({ agent: form.agent, connection: form.connection, decision: form.decision, kind: form.kind });
    // Not a dependency: onFiltersChanged is the parent's inline callback, following it would reload on every render.
  }, [load, filters]);

  // Live: a committed entry that matches goes on top, keeping what the reader looks at in place.
  const sectionRef = useRef<HTMLElement>(null);
  const scrollAnchor = useRef<{ scroller: Element; height: number; top: number } | null>(null);
  const [arrived, setArrived] = useState<ReadonlySet<number>>(() => new Set());
  const live = useLiveEventsHub();
  useEffect(
    () =>
      live.subscribe((event) => {
        if (event.type === 'reset') void load(filters, null);
        if (event.type !== 'audit-appended' || !matchesAuditFilters(filters, event.data)) return;
        if (loading === 'first') {
          arrivedWhileLoading.current.push(event.data);
          return;
        }
        const scroller = sectionRef.current?.closest('.content');
        if (scroller && !scrollAnchor.current) scrollAnchor.current = { scroller, height: scroller.scrollHeight, top: scroller.scrollTop };
        setEntries((current) => prependEntries(current ?? [], [event.data]));
        setArrived((ids) => new Set(ids).add(event.data.id));
      }),
    [live, filters, load, loading],
  );
  useLayoutEffect(() => {
    const anchor = scrollAnchor.current;
    scrollAnchor.current = null;
    // At the top the new rows show; scrolled down, the rows being read stay where they are.
    if (anchor && anchor.top > 0) anchor.scroller.scrollTop = anchor.top + (anchor.scroller.scrollHeight - anchor.height);
  }, [entries]);

  const set = <K extends keyof FilterForm>(key: K, value: FilterForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const filtered = Object.keys(filters).length > 0;

  async function verify() {
    setVerifying(true);
    setVerification(null);
    try {
      setVerification(await api.verifyAudit());
    } catch (e) {
      const { code, description } = describeError(e);
      notify('error', `Could not verify the audit log: ${description} (${code})`);
    } finally {
      setVerifying(false);
    }
  }

  async function exportAs(format: AuditExportFormat) {
    setExporting(format);
    try {
      const file = await api.exportAudit(format, filters);
      saveFile(file.blob, file.filename);
      notify('success', `Exported ${filtered ? 'the filtered' : 'the whole'} audit log as ${file.filename}.`);
    } catch (e) {
      const { code, description } = describeError(e);
      notify('error', `Could not export the audit log: ${description} (${code})`);
    } finally {
      setExporting(null);
    }
  }

  // Current agents only: a deleted agent's entries are still found by connection or time.
  const agentOptions = [...agents].sort((a, b) => a.name.localeCompare(b.name));

  return (
    <section className="wide" aria-labelledby="audit-title" ref={sectionRef}>
      <div className="page-head">
        <div>
          <h1 id="audit-title">Audit log</h1>
          <p className="muted">
            Every proxied request, token, approval, revocation and change, hash-chained so an edited or deleted entry
            shows. No bodies, no secrets; query values are redacted.
          </p>
        </div>
        <div className="actions page-actions">
          <button type="button" className="button" onClick={() => void verify()} disabled={verifying}>
            {verifying ? <Spinner /> : null} Verify chain
          </button>
          <button type="button" className="button" onClick={() => void exportAs('jsonl')} disabled={exporting !== null}>
            {exporting === 'jsonl' ? <Spinner /> : null} Export JSONL
          </button>
          <button type="button" className="button" onClick={() => void exportAs('csv')} disabled={exporting !== null}>
            {exporting === 'csv' ? <Spinner /> : null} Export CSV
          </button>
        </div>
      </div>

      {verification ? <VerificationResult result={verification} onDismiss={() => setVerification(null)} /> : null}

      <form className="card filters" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <SelectFilter
          label="Agent"
          value={form.agent}
          onChange={(v) => set('agent', v)}
          any="All"
          options={agentOptions.map((a) => ({ value: a.id, label: a.name }))}
        />
        <SelectFilter
          label="Connection"
          value={form.connection}
          onChange={(v) => set('connection', v)}
          any="All"
          options={connections.map((c) => ({ value: c.name, label: c.name }))}
        />
        <SelectFilter label="Decision" value={form.decision} onChange={(v) => set('decision', v)} any="Any" options={DECISIONS} />
        <SelectFilter label="Kind" value={form.kind} onChange={(v) => set('kind', v)} any="All" options={KINDS} />
        <div className="field">
          <label className="label" htmlFor={`${id}-since`}>
            From
          </label>
          <input id={`${id}-since`} type="datetime-local" value={form.since} onChange={(e) => set('since', e.target.value)} />
        </div>
        <div className="field">
          <label className="label" htmlFor={`${id}-until`}>
            To
          </label>
          <input id={`${id}-until`} type="datetime-local" value={form.until} onChange={(e) => set('until', e.target.value)} />
        </div>
        <div className="filters-clear">
          <button type="button" className="button button-quiet" disabled={!filtered} onClick={() => setForm(NO_FILTERS)}>
            Clear
          </button>
        </div>
      </form>

      {error ? <ErrorMessage code={error.code} description={error.description} /> : null}

      {entries === null && loading === 'first' ? (
        <div className="empty">
          <Spinner /> Loading the audit log…
        </div>
      ) : null}

      {entries !== null && entries.length === 0 && loading === null ? (
        <div className="empty" data-testid="audit-empty">
          <h2>{filtered ? 'No entries match these filters' : 'Nothing recorded yet'}</h2>
          <p className="muted">
            {filtered ? 'Widen the time range or clear a filter.' : 'Entries appear as soon as agents get tokens and call the proxy.'}
          </p>
        </div>
      ) : null}

      {entries !== null && entries.length > 0 ? (
        <div className={`card table-wrap${loading === 'first' ? ' table-stale' : ''}`} aria-busy={loading !== null}>
          <table className="audit-table" aria-describedby={`${id}-count`}>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Agent</th>
                <th scope="col">Connection</th>
                <th scope="col">Request</th>
                <th scope="col" className="num">
                  Status
                </th>
                <th scope="col">Decision</th>
                <th scope="col">Reason</th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col" className="num">
                  <abbr title="Sent to the provider / received from it">In / out</abbr>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <AuditRow key={e.id} entry={e} fresh={arrived.has(e.id)} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {entries !== null && entries.length > 0 ? (
        <div className="table-foot">
          <span className="muted small" id={`${id}-count`} data-testid="audit-count">
            {entries.length} {entries.length === 1 ? 'entry' : 'entries'}
            {cursor ? '' : ', end of the log'}
          </span>
          {cursor ? (
            <button type="button" className="button" disabled={loading !== null} onClick={() => void load(filters, cursor)}>
              {loading === 'more' ? <Spinner /> : null} Load more
            </button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** A labelled select whose first option (`any`, value "") filters nothing. */
function SelectFilter<V extends string>({
  label,
  value,
  onChange,
  any,
  options,
}: {
  label: string;
  value: V | '';
  onChange: (value: V | '') => void;
  any: string;
  options: readonly { value: V; label: string }[];
}) {
  const id = useId();
  return (
    <div className="field">
      <label className="label" htmlFor={id}>
        {label}
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as V | '')}>
        <option value="">{any}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A path with line-break opportunities after `/`, `?` and `&`, so a long one wraps where it reads well. */
function breakable(path: string): ReactNode[] {
  return path.split(/(?<=[/?&])/).flatMap((part, i) => (i === 0 ? [part] : [<wbr key={i} />, part]));
}

const DECISION_LABEL: Record<AuditDecision, string> = { allow: 'Allowed', deny: 'Denied', info: 'Info' };

function AuditRow({ entry: e, fresh }: { entry: AuditEntry; fresh: boolean }) {
  // Only proxied requests are timed and sized; elsewhere the reason, often a sentence, takes those columns.
  const measured = e.latency_ms !== null || e.bytes_in !== null || e.bytes_out !== null;
  return (
    <tr data-entry={e.id} data-decision={e.decision} className={fresh ? 'audit-row-new' : undefined}>
      <td className="nowrap" title={fullDate(e.at)}>
        <time dateTime={e.at}>{clockTime(e.at)}</time>
      </td>
      <td className="ellipsis" title={e.agent_name ?? undefined}>
        {e.agent_name ?? <span className="muted">—</span>}
      </td>
      <td className="ellipsis" title={e.connection ?? undefined}>
        {e.connection ?? <span className="muted">—</span>}
      </td>
      <td className="request" title={e.path ?? undefined}>
        {e.kind !== 'proxy' ? <span className="tag">{e.kind}</span> : null}
        {e.method ? <span className="method">{e.method}</span> : null}
        {e.path ? <span className="path">{breakable(e.path)}</span> : null}
      </td>
      <td className="num">{e.status ?? <span className="muted">—</span>}</td>
      <td>
        <Badge status={`decision-${e.decision}`}>{DECISION_LABEL[e.decision]}</Badge>
      </td>
      <td className="reason" colSpan={measured ? undefined : 3}>
        {e.reason ?? <span className="muted">—</span>}
      </td>
      {measured ? (
        <>
          <td className="num nowrap">{e.latency_ms !== null ? `${Math.round(e.latency_ms)} ms` : <span className="muted">—</span>}</td>
          <td className="num nowrap">
            {e.bytes_in !== null || e.bytes_out !== null ? (
              `${byteSize(e.bytes_in ?? 0)} / ${byteSize(e.bytes_out ?? 0)}`
            ) : (
              <span className="muted">—</span>
            )}
          </td>
        </>
      ) : null}
    </tr>
  );
}

function VerificationResult({ result, onDismiss }: { result: AuditVerification; onDismiss: () => void }) {
  const checked = result.checked.toLocaleString();
  return (
    <div
      className={`message ${result.ok ? 'message-success' : 'message-error'} verify-result`}
      role={result.ok ? 'status' : 'alert'}
      data-testid="verify-result"
      data-ok={result.ok}
    >
      <div>
        {result.ok ? (
          <>
            <strong>The chain is intact.</strong> {checked} {result.checked === 1 ? 'entry' : 'entries'} checked; none was
            edited or deleted.
          </>
        ) : (
          <>
            <strong>The chain is broken{result.first_bad !== undefined ? ` at entry #${result.first_bad}` : ''}.</strong>{' '}
            {result.reason ?? 'That entry or the one before it was edited or deleted after it was written.'} ({checked} checked)
          </>
        )}
      </div>
      <button type="button" className="button button-small button-quiet" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
