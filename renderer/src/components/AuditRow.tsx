import type { ReactNode } from 'react';
import type { AuditDecision, AuditEntry } from '../api';
import { byteSize, clockTime, fullDate } from '../format';
import { Badge } from './common';

/** A path with line-break opportunities after `/`, `?` and `&`, so a long one wraps where it reads well. */
function breakable(path: string): ReactNode[] {
  return path.split(/(?<=[/?&])/).flatMap((part, i) => (i === 0 ? [part] : [<wbr key={i} />, part]));
}

const DECISION_LABEL: Record<AuditDecision, string> = { allow: 'Allowed', deny: 'Denied', info: 'Info' };

/** One audit entry as a table row; `fresh` marks one that just arrived live. */
export function AuditRow({ entry: e, fresh }: { entry: AuditEntry; fresh: boolean }) {
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
          <td className="num nowrap">
            {e.latency_ms !== null ? `${Math.round(e.latency_ms)} ms` : <span className="muted">—</span>}
          </td>
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
