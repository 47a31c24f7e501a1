import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../http/schemas.js';
import type { Grant } from './grants.js';
import type { Authz } from './open-authz.js';
import { errorRef, tokenResponseSchema } from './route-schemas.js';

/** What the admin surface needs of authz: nothing of the protocol side. */
export type AdminRoutesOptions = Pick<Authz, 'agents' | 'approvals' | 'killSwitch' | 'execTokens' | 'signingKeys'>;

const grantSchema = {
  type: 'object',
  required: ['connection', 'scopes'],
  additionalProperties: false,
  properties: {
    connection: { type: 'string', minLength: 1, maxLength: 64 },
    // RFC 6749 scope-token characters, so that every grant can travel as a `scope` value.
    scopes: { type: 'array', minItems: 1, maxItems: 200, items: { type: 'string', minLength: 1, maxLength: 512, pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$' } },
  },
} as const;
const grantsSchema = { type: 'array', maxItems: 100, items: grantSchema } as const;
const grantListSchema = {
  type: 'array',
  items: { type: 'object', required: ['connection', 'scopes'], properties: { connection: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } } } },
} as const;

const agentSchema = {
  type: 'object',
  required: ['id', 'name', 'client_id', 'status', 'grants', 'rate_limit_per_minute', 'created_at', 'updated_at', 'registered_via', 'redirect_uris'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    client_id: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'active', 'revoked'] },
    grants: grantListSchema,
    rate_limit_per_minute: { type: ['integer', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    registered_via: { type: 'string', enum: ['admin', 'dcr'] },
    redirect_uris: { type: 'array', items: { type: 'string' } },
  },
} as const;

const createdAgentSchema = {
  ...agentSchema,
  required: [...agentSchema.required, 'client_secret'],
  properties: { ...agentSchema.properties, client_secret: { type: 'string', description: 'Shown once: only its hash is kept' } },
} as const;

const approvalSchema = {
  type: 'object',
  required: ['id', 'agent_id', 'agent_name', 'client_id', 'registered_via', 'redirect_hosts', 'status', 'requested_scope', 'requested_grants', 'redirect_uri', 'created_at', 'expires_at', 'decided_at', 'granted'],
  properties: {
    id: { type: 'string' },
    agent_id: { type: 'string' },
    agent_name: { type: 'string' },
    client_id: { type: 'string' },
    registered_via: { type: 'string', enum: ['admin', 'dcr'] },
    redirect_hosts: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['pending', 'approved', 'denied', 'expired'] },
    requested_scope: { type: 'string' },
    requested_grants: grantListSchema,
    redirect_uri: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
    decided_at: { type: ['string', 'null'], format: 'date-time' },
    granted: { anyOf: [{ type: 'null' }, grantListSchema] },
  },
} as const;

const rateLimitSchema = { type: ['integer', 'null'], minimum: 1, maximum: 1_000_000 } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const pausedSchema = { type: 'object', required: ['paused'], properties: { paused: { type: 'boolean' } } } as const;
const adminErrors = { ...errorResponses, 403: errorRef } as const;

// ── Admin endpoints ─────────────────────────────────────────────────────────

/** Agents, approvals, the kill switch and key rotation; registered inside the admin scope (/admin/api, admin token enforced there). */
export async function authzAdminRoutes(app: FastifyInstance, authz: AdminRoutesOptions): Promise<void> {
  const { agents, approvals, killSwitch, execTokens, signingKeys } = authz;
  app.post<{ Body: { name: string; grants: Grant[]; rate_limit_per_minute?: number | null } }>('/agents', {
    schema: {
      tags: ['agents'],
      summary: 'Create an agent (client_credentials); the client secret is shown once',
      body: {
        type: 'object',
        required: ['name', 'grants'],
        additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, grants: grantsSchema, rate_limit_per_minute: rateLimitSchema },
      },
      response: { 201: createdAgentSchema, ...adminErrors },
    },
  }, async (request, reply) => {
    const { agent, client_secret } = await agents.create(request.body);
    return reply.code(201).header('cache-control', 'no-store').send({ ...agent, client_secret });
  });

  app.get('/agents', {
    schema: { tags: ['agents'], summary: 'Agents (never their secrets)', response: { 200: { type: 'object', required: ['agents'], properties: { agents: { type: 'array', items: agentSchema } } }, ...adminErrors } },
  }, async () => ({ agents: agents.list() }));

  app.get<{ Params: { id: string } }>('/agents/:id', {
    schema: { tags: ['agents'], summary: 'One agent', params: idParams, response: { 200: agentSchema, ...adminErrors } },
  }, async (request) => agents.get(request.params.id));

  app.patch<{ Params: { id: string }; Body: { name?: string; grants?: Grant[]; rate_limit_per_minute?: number | null } }>('/agents/:id', {
    schema: {
      tags: ['agents'],
      summary: 'Rename, change grants (narrowing applies to existing tokens at once) or the rate limit',
      params: idParams,
      body: {
        type: 'object',
        minProperties: 1,
        additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, grants: grantsSchema, rate_limit_per_minute: rateLimitSchema },
      },
      response: { 200: agentSchema, ...adminErrors },
    },
  }, async (request) => agents.update(request.params.id, request.body));

  app.post<{ Params: { id: string } }>('/agents/:id/revoke', {
    schema: { tags: ['agents'], summary: 'Revoke an agent: its tokens stop working immediately', params: idParams, response: { 200: agentSchema, ...adminErrors } },
  }, async (request) => agents.revoke(request.params.id));

  app.delete<{ Params: { id: string } }>('/agents/:id', {
    schema: { tags: ['agents'], summary: 'Delete an agent and its tokens', params: idParams, response: { 200: { type: 'object', required: ['deleted'], properties: { deleted: { type: 'boolean' } } }, ...adminErrors } },
  }, async (request) => {
    await agents.delete(request.params.id);
    return { deleted: true };
  });

  app.post<{ Params: { id: string } }>('/agents/:id/token', {
    schema: {
      tags: ['agents'],
      summary: 'Mint an access token for an agent (used by `latchkey exec`)',
      params: idParams,
      response: { 200: tokenResponseSchema, ...adminErrors },
    },
  }, async (request, reply) => reply.header('cache-control', 'no-store').send(await execTokens.mint(request.params.id)));

  app.post<{ Body: { agent: string } }>('/agent-tokens', {
    schema: {
      tags: ['agents'],
      summary: 'Mint an access token for an active agent, by name (what `latchkey exec` asks over the control socket)',
      body: { type: 'object', required: ['agent'], additionalProperties: false, properties: { agent: { type: 'string', minLength: 1, maxLength: 64 } } },
      response: { 200: tokenResponseSchema, ...adminErrors },
    },
  }, async (request, reply) => reply.header('cache-control', 'no-store').send(await execTokens.mint(agents.named(request.body.agent).id)));

  app.get('/approvals', {
    schema: { tags: ['approvals'], summary: 'Authorization requests of interactive agents, pending first', response: { 200: { type: 'object', required: ['approvals'], properties: { approvals: { type: 'array', items: approvalSchema } } }, ...adminErrors } },
  }, async () => ({ approvals: approvals.list() }));

  app.post<{ Params: { id: string }; Body: { decision: 'approve' | 'deny'; grants?: Grant[] } }>('/approvals/:id', {
    schema: {
      tags: ['approvals'],
      summary: 'Approve (optionally with other grants than asked) or deny a request',
      params: idParams,
      body: { type: 'object', required: ['decision'], additionalProperties: false, properties: { decision: { type: 'string', enum: ['approve', 'deny'] }, grants: grantsSchema } },
      response: { 200: approvalSchema, ...adminErrors },
    },
  }, async (request) => approvals.decide(request.params.id, request.body.decision, request.body.grants));

  app.get('/pause', { schema: { tags: ['control'], summary: 'Whether agents are paused', response: { 200: pausedSchema, ...adminErrors } } }, async () => ({ paused: killSwitch.paused }));

  app.post('/pause', { schema: { tags: ['control'], summary: 'Kill switch: refuse every agent request', response: { 200: pausedSchema, ...adminErrors } } }, async () => {
    await killSwitch.pause();
    return { paused: killSwitch.paused };
  });

  app.post('/resume', { schema: { tags: ['control'], summary: 'Let agents work again', response: { 200: pausedSchema, ...adminErrors } } }, async () => {
    await killSwitch.resume();
    return { paused: killSwitch.paused };
  });

  app.post('/keys/rotate', {
    schema: { tags: ['control'], summary: 'Rotate the access-token signing key (old tokens stay valid until they expire)', response: { 200: { type: 'object', required: ['kid'], properties: { kid: { type: 'string' } } }, ...adminErrors } },
  }, async () => signingKeys.rotate());
}
