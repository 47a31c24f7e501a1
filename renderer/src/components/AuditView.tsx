import { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from 'react';
import {
  describeError,
  type AgentView,
  type AuditEntry,
  type AuditExportFormat,
  type AuditFilters,
  type AuditVerification,
  type Connection,
  type LatchkeyApi,
} from '../api';
import { matchesAuditFilters, prependEntries } from '../audit-match';
import { useLiveEventsHub } from '../live';
import { ErrorMessage, saveFile, Spinner } from './common';
import type { Notify } from './Notices';
import { DECISIONS, formOf, KINDS, NO_FILTERS, toFilters, type FilterForm } from '../audit-filters';
import { AuditRow } from './AuditRow';
import { VerificationResult } from './AuditVerificationResult';
import { SelectFilter } from './SelectFilter';

type Err = { code: string; description: string } | null;

const PAGE_SIZE = 50;

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
        setEntries((current) =>
          after === null
            ? prependEntries(page.entries, arrivedWhileLoading.current)
            : [...(current ?? []), ...page.entries],
        );
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
        if (scroller && !scrollAnchor.current)
          scrollAnchor.current = { scroller, height: scroller.scrollHeight, top: scroller.scrollTop };
        setEntries((current) => prependEntries(current ?? [], [event.data]));
        setArrived((ids) => new Set(ids).add(event.data.id));
      }),
    [live, filters, load, loading],
  );
  useLayoutEffect(() => {
    const anchor = scrollAnchor.current;
    scrollAnchor.current = null;
    // At the top the new rows show; scrolled down, the rows being read stay where they are.
    if (anchor && anchor.top > 0)
      anchor.scroller.scrollTop = anchor.top + (anchor.scroller.scrollHeight - anchor.height);
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
        <SelectFilter
          label="Decision"
          value={form.decision}
          onChange={(v) => set('decision', v)}
          any="Any"
          options={DECISIONS}
        />
        <SelectFilter label="Kind" value={form.kind} onChange={(v) => set('kind', v)} any="All" options={KINDS} />
        <div className="field">
          <label className="label" htmlFor={`${id}-since`}>
            From
          </label>
          <input
            id={`${id}-since`}
            type="datetime-local"
            value={form.since}
            onChange={(e) => set('since', e.target.value)}
          />
        </div>
        <div className="field">
          <label className="label" htmlFor={`${id}-until`}>
            To
          </label>
          <input
            id={`${id}-until`}
            type="datetime-local"
            value={form.until}
            onChange={(e) => set('until', e.target.value)}
          />
        </div>
        <div className="filters-clear">
          <button
            type="button"
            className="button button-quiet"
            disabled={!filtered}
            onClick={() => setForm(NO_FILTERS)}
          >
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
            {filtered
              ? 'Widen the time range or clear a filter.'
              : 'Entries appear as soon as agents get tokens and call the proxy.'}
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
            <button
              type="button"
              className="button"
              disabled={loading !== null}
              onClick={() => void load(filters, cursor)}
            >
              {loading === 'more' ? <Spinner /> : null} Load more
            </button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
