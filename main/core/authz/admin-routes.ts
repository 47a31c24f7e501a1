import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { HeldCalls } from '../ask-first/held-calls.js';
import { LatchkeyError } from '../errors.js';
import {
  AgentChanges,
  AgentIdParams,
  AgentList,
  AgentTokenRequest,
  AgentView,
  CreatedAgent,
  DeletedAgent,
  NewAgent,
} from '../../common/api/agents.js';
import { AnyApproval, ApprovalDecision, ApprovalList } from '../../common/api/approvals.js';
import { errorResponses } from '../../common/api/errors.js';
import { TokenResponse } from '../../common/api/oauth.js';
import { Paused, RotatedKey } from '../../common/api/status.js';
import type { Authz } from './open-authz.js';

/** What the admin surface needs of authz (nothing of the protocol side), and the calls held under ask-first grants. */
export type AdminRoutesOptions = Pick<Authz, 'agents' | 'approvals' | 'killSwitch' | 'execTokens' | 'signingKeys'> & {
  heldCalls?: Pick<HeldCalls, 'list' | 'has' | 'decide'>;
};

// ── Admin endpoints ─────────────────────────────────────────────────────────

/** Agents, approvals, the kill switch and key rotation; registered inside the admin scope (/admin/api, admin token enforced there). */
export async function authzAdminRoutes(app: FastifyInstance, authz: AdminRoutesOptions): Promise<void> {
  const { agents, approvals, killSwitch, execTokens, signingKeys, heldCalls } = authz;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/agents',
    {
      schema: {
        tags: ['agents'],
        summary: 'Create an agent (client_credentials); the client secret is shown once',
        body: NewAgent,
        response: { 201: CreatedAgent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { agent, client_secret } = await agents.create(request.body);
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...agent, client_secret });
    },
  );

  api.get(
    '/agents',
    {
      schema: {
        tags: ['agents'],
        summary: 'Agents (never their secrets)',
        response: { 200: AgentList, ...errorResponses },
      },
    },
    async () => ({ agents: agents.list() }),
  );

  api.get(
    '/agents/:id',
    {
      schema: {
        tags: ['agents'],
        summary: 'One agent',
        params: AgentIdParams,
        response: { 200: AgentView, ...errorResponses },
      },
    },
    async (request) => agents.get(request.params.id),
  );

  api.patch(
    '/agents/:id',
    {
      schema: {
        tags: ['agents'],
        summary: 'Rename, change grants (narrowing applies to existing tokens at once) or the rate limit',
        params: AgentIdParams,
        body: AgentChanges,
        response: { 200: AgentView, ...errorResponses },
      },
    },
    async (request) => agents.update(request.params.id, request.body),
  );

  api.post(
    '/agents/:id/revoke',
    {
      schema: {
        tags: ['agents'],
        summary: 'Revoke an agent: its tokens stop working immediately',
        params: AgentIdParams,
        response: { 200: AgentView, ...errorResponses },
      },
    },
    async (request) => agents.revoke(request.params.id),
  );

  api.delete(
    '/agents/:id',
    {
      schema: {
        tags: ['agents'],
        summary: 'Delete an agent and its tokens',
        params: AgentIdParams,
        response: { 200: DeletedAgent, ...errorResponses },
      },
    },
    async (request) => {
      await agents.delete(request.params.id);
      return { deleted: true };
    },
  );

  api.post(
    '/agents/:id/token',
    {
      schema: {
        tags: ['agents'],
        summary: 'Mint an access token for an agent (used by `latchkey exec`)',
        params: AgentIdParams,
        response: { 200: TokenResponse, ...errorResponses },
      },
    },
    async (request, reply) => reply.header('cache-control', 'no-store').send(await execTokens.mint(request.params.id)),
  );

  api.post(
    '/agent-tokens',
    {
      schema: {
        tags: ['agents'],
        summary:
          'Mint an access token for an active agent, by name (what `latchkey exec` asks over the control socket)',
        body: AgentTokenRequest,
        response: { 200: TokenResponse, ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.header('cache-control', 'no-store').send(await execTokens.mint(agents.named(request.body.agent).id)),
  );

  api.get(
    '/approvals',
    {
      schema: {
        tags: ['approvals'],
        summary:
          'Calls held for the person under ask-first grants ("kind": "call", oldest first), then authorization requests of interactive agents ("kind": "registration", pending first)',
        response: { 200: ApprovalList, ...errorResponses },
      },
    },
    async () => ({ approvals: [...(heldCalls?.list() ?? []), ...approvals.list()] }),
  );

  api.post(
    '/approvals/:id',
    {
      schema: {
        tags: ['approvals'],
        summary:
          'Answer a held call (approve once, for 1 hour or always, or deny), or approve (optionally with other grants than asked) or deny a request',
        params: AgentIdParams,
        body: ApprovalDecision,
        response: { 200: AnyApproval, ...errorResponses },
      },
    },
    async (request) => {
      const { decision, grants, for: window } = request.body;
      if (heldCalls?.has(request.params.id)) {
        if (grants !== undefined)
          throw new LatchkeyError(
            'invalid_request',
            'A held call is answered with "for" (once, 1h or always), not with grants',
            400,
          );
        return heldCalls.decide(request.params.id, decision, window);
      }
      if (window !== undefined)
        throw new LatchkeyError(
          'invalid_request',
          '"for" answers held calls; this is no held call (it was decided, timed out, or is an authorization request)',
          400,
        );
      return approvals.decide(request.params.id, decision, grants);
    },
  );

  api.get(
    '/pause',
    {
      schema: { tags: ['control'], summary: 'Whether agents are paused', response: { 200: Paused, ...errorResponses } },
    },
    async () => ({ paused: killSwitch.paused }),
  );

  api.post(
    '/pause',
    {
      schema: {
        tags: ['control'],
        summary: 'Kill switch: refuse every agent request',
        response: { 200: Paused, ...errorResponses },
      },
    },
    async () => {
      await killSwitch.pause();
      return { paused: killSwitch.paused };
    },
  );

  api.post(
    '/resume',
    { schema: { tags: ['control'], summary: 'Let agents work again', response: { 200: Paused, ...errorResponses } } },
    async () => {
      await killSwitch.resume();
      return { paused: killSwitch.paused };
    },
  );

  api.post(
    '/keys/rotate',
    {
      schema: {
        tags: ['control'],
        summary: 'Rotate the access-token signing key (old tokens stay valid until they expire)',
        response: { 200: RotatedKey, ...errorResponses },
      },
    },
    async () => signingKeys.rotate(),
  );
}
