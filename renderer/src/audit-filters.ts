/** The audit view's filter form: its choices, its empty state, and how it maps to the API's filters and from a route. */
import type { AuditDecision, AuditFilters, AuditKind } from './api';

export const KINDS: { value: AuditKind; label: string }[] = [
  { value: 'proxy', label: 'Proxied request' },
  { value: 'token', label: 'Token' },
  { value: 'approval', label: 'Approval' },
  { value: 'revocation', label: 'Revocation' },
  { value: 'connection', label: 'Connection change' },
  { value: 'agent', label: 'Agent change' },
  { value: 'control', label: 'Pause / resume' },
];

export const DECISIONS: { value: AuditDecision; label: string }[] = [
  { value: 'allow', label: 'Allowed' },
  { value: 'deny', label: 'Denied' },
  { value: 'info', label: 'Info' },
];

/** The filter form as typed: select values and `datetime-local` strings (local time). */
export interface FilterForm {
  agent: string;
  connection: string;
  decision: '' | AuditDecision;
  kind: '' | AuditKind;
  since: string;
  until: string;
}

export const NO_FILTERS: FilterForm = { agent: '', connection: '', decision: '', kind: '', since: '', until: '' };

function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function toFilters(form: FilterForm): AuditFilters {
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
export function formOf(params: Record<string, string>): FilterForm {
  return {
    ...NO_FILTERS,
    agent: params.agent ?? '',
    connection: params.connection ?? '',
    decision: isOneOf(DECISIONS, params.decision) ? params.decision : '',
    kind: isOneOf(KINDS, params.kind) ? params.kind : '',
  };
}
