import { AGENT_STATUSES } from './agents.js';
import { APPROVAL_STATUSES } from './approvals.js';
import { AuditEntry } from './audit.js';
import { CONNECTION_STATUSES } from './connections.js';
import { StringEnum, Type, type Static } from './schema.js';

/** GET /events: the one header a client sends to resume. */
export const EventStreamHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ maxLength: 64, description: 'The id of the last event received' })),
});
export type EventStreamHeaders = Static<typeof EventStreamHeaders>;

/** GET /events' answer: server-sent events, each `data` line an event's JSON payload. */
export const EventStreamBody = Type.Unsafe<unknown>({
  description: 'An unending text/event-stream',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
});

/** A connection was made, re-authorized, refreshed, marked for re-auth or removed (then with its id: grants bind to it). */
export const ConnectionChanged = Type.Object({
  name: Type.String(),
  provider: Type.String(),
  status: StringEnum([...CONNECTION_STATUSES, 'removed']),
  id: Type.Optional(Type.String()),
});
export type ConnectionChanged = Static<typeof ConnectionChanged>;

/** A browser or device connect flow ended. */
export const FlowFinished = Type.Object({
  flow_id: Type.String(),
  status: StringEnum(['connected', 'failed']),
  provider: Type.String(),
  connection: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
});
export type FlowFinished = Static<typeof FlowFinished>;

export const AgentChanged = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: StringEnum([...AGENT_STATUSES, 'deleted']),
});
export type AgentChanged = Static<typeof AgentChanged>;

/** An interactive agent waits for the person's decision. */
/** An interactive agent, or (kind 'call', with what it does) an agent's held call, waits for the person's decision. */
export const ApprovalRequested = Type.Object({
  id: Type.String(),
  agent_id: Type.String(),
  agent_name: Type.String(),
  kind: Type.Optional(Type.Literal('call')),
  summary: Type.Optional(Type.String()),
});
export type ApprovalRequested = Static<typeof ApprovalRequested>;

export const ApprovalDecided = Type.Object({
  id: Type.String(),
  agent_id: Type.String(),
  status: StringEnum(APPROVAL_STATUSES),
});
export type ApprovalDecided = Static<typeof ApprovalDecided>;

export const PausedChanged = Type.Object({ paused: Type.Boolean() });
export type PausedChanged = Static<typeof PausedChanged>;

/** Each streamed event's payload, by event type (an audit entry as it committed, the rest as above). */
export const StreamedEventPayloads = {
  'audit-appended': AuditEntry,
  'connection-changed': ConnectionChanged,
  'flow-finished': FlowFinished,
  'agent-changed': AgentChanged,
  'approval-requested': ApprovalRequested,
  'approval-decided': ApprovalDecided,
  'paused-changed': PausedChanged,
} as const;
export type StreamedEventPayloads = {
  [K in keyof typeof StreamedEventPayloads]: Static<(typeof StreamedEventPayloads)[K]>;
};

/** One event of GET /events as a client reads it, plus `reset`: events were missed, reload everything. */
export type LiveEvent =
  | { [K in keyof StreamedEventPayloads]: { type: K; data: StreamedEventPayloads[K] } }[keyof StreamedEventPayloads]
  | { type: 'reset'; data: Record<string, never> };
