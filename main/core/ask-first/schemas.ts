/** JSON Schemas of held calls as the admin API lists and answers them (CallApprovalView). */
export const callApprovalSchema = {
  type: 'object',
  required: ['kind', 'id', 'agent_id', 'agent_name', 'connection', 'method', 'path', 'summary', 'scopes', 'body_bytes', 'status', 'created_at', 'expires_at'],
  properties: {
    kind: { type: 'string', const: 'call' },
    id: { type: 'string' },
    agent_id: { type: 'string' },
    agent_name: { type: 'string' },
    connection: { type: 'string' },
    method: { type: 'string' },
    path: { type: 'string' },
    summary: { type: 'string', description: 'What the call does, in a line: "create issues in person/repo"' },
    scopes: { type: 'array', items: { type: 'string' }, description: 'The ask scopes that would let it through' },
    body_bytes: { type: ['integer', 'null'], description: 'The body size the request announced; null when none was' },
    status: { type: 'string', enum: ['pending', 'approved', 'denied'] },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time', description: 'When the call gives up waiting (403 approval_timeout)' },
  },
} as const;

/** `for` of a decision on a held call. */
export const callWindowSchema = {
  type: 'string',
  enum: ['once', '1h', 'always'],
  description: 'A held call: let such calls through this once (default), for 1 hour, or always (the scope leaves the grant\'s ask)',
} as const;
