import {
  fromJsonSchema,
  McpServer,
  type CallToolResult,
  type JsonSchemaType,
  type ScopeChallenge,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { formatScope } from '../authz/grants.js';
import { curatedCall, samplePath } from '../catalog/curated-tools.js';
import type { CuratedTool } from '../catalog/types.js';
import { isLatchkeyError, type LatchkeyError } from '../errors.js';
import { agentConnections } from '../proxy/discovery.js';
import { admitCall, type ProxyRuntime } from '../proxy/handler.js';
import { asLatchkeyError, commit, openExchange, type Exchange } from '../proxy/respond.js';
import type { AgentPrincipal } from '../proxy/types.js';
import {
  auditUnavailable,
  type ConnectionRequest,
  recordToolCall,
  requestThroughProxy,
  toolCall,
} from './request-tool.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

const requestInput = z.object({
  method: z.enum(METHODS).describe('HTTP method'),
  path: z
    .string()
    .min(1)
    .max(2048)
    .startsWith('/')
    .describe("Path under the provider's API base URL, e.g. /repos/octocat/hello/issues (no host, no query)"),
  query: z.record(z.string(), z.string()).optional().describe('Query parameters'),
  body: z.unknown().optional().describe('JSON request body, for POST, PUT and PATCH'),
  base: z
    .string()
    .min(1)
    .max(32)
    .optional()
    .describe(
      'For providers with several API hosts: the named base to call (list_connections shows them); the default base when omitted',
    ),
});

/** A sentence naming the API bases besides the default one (multi-host providers), or nothing. */
function otherBases(bases: Record<string, { upstream_base_url: string }>): string {
  const named = Object.entries(bases).filter(([name]) => name !== 'default');
  if (named.length === 0) return '';
  return ` Other API hosts, chosen with "base": ${named.map(([name, base]) => `"${name}" (${base.upstream_base_url})`).join(', ')}; without "base" the call goes to ${bases.default?.upstream_base_url ?? 'the default host'}.`;
}

/** `<connection>_<tool>` (`_request` by default). MCP tool names are [A-Za-z0-9_.-]; a connection name with anything else is spelled with "_". */
export function requestToolName(connection: string, tool = 'request'): string {
  return `${connection.replace(/[^A-Za-z0-9_.-]/g, '_')}_${tool}`.slice(0, 128);
}

const result = (value: unknown, isError = false): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
  ...(isError ? { isError: true } : {}),
});

const errorResult = (error: LatchkeyError): CallToolResult => result(error.toJSON(), true);

/** An RFC 6750 error-description holds printable ASCII without '"' and '\\'. */
const challengeText = (text: string): string => text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');

/**
 * The MCP server one agent sees for one request: `list_connections`, and a
 * `<connection>_request` tool for each connection it holds a grant on, with
 * `<connection>_<tool>` for each curated tool of its provider (`api.tools`) the grant lets
 * through (nothing else is listed). A request needing a scope the agent lacks is refused before it runs with a 403
 * `insufficient_scope` challenge naming the scopes it holds plus every scope the endpoint
 * accepts, so the client can ask the person for more (step-up) without losing any.
 */
/** `log` is where failures of Latchkey's own are told (never secrets). */
export function toolServer(
  agent: AgentPrincipal,
  runtime: ProxyRuntime,
  version: string,
  log: Exchange['log'],
): McpServer {
  const { deps } = runtime;
  const server = new McpServer({ name: 'latchkey', version }, { capabilities: { tools: {} } });
  const connections = () => agentConnections(agent, deps.connections.list(), deps.catalog, deps.baseUrl());

  /**
   * One tool call through the proxy's code path. `request` builds the call from the tool's input
   * (a curated tool's input errors are thrown there). requestThroughProxy logged a failure of
   * Latchkey's own or the provider's; the rest are refusals the agent reads.
   */
  const callTool = async (tool: string, connection: string, request: () => ConnectionRequest, signal: AbortSignal) => {
    try {
      const response = await requestThroughProxy(agent, tool, connection, request(), runtime, log, signal);
      return result(response, response.status >= 400);
    } catch (error) {
      return errorResult(asLatchkeyError(error));
    }
  };

  /** Connection name → its curated tools this agent is offered (filled as they are registered, below). */
  const curatedTools = new Map<string, string[]>();
  server.registerTool(
    'list_connections',
    {
      description:
        "The accounts the person connected to Latchkey and granted to you: name, provider, account and the scopes you hold. Call one with its <name>_request tool, or with the curated tools listed for it (described calls of the provider's API).",
      annotations: { readOnlyHint: true },
    },
    async () => {
      const exchange = openExchange(
        {
          kind: 'proxy',
          connection: null,
          method: null,
          path: null,
          agent_id: agent.agent_id,
          agent_name: agent.agent_name,
        },
        log,
      );
      exchange.entry.decision = 'allow';
      const accounts = new Map(deps.connections.list().map((record) => [record.name, record.account]));
      const listed = connections().map((c) => ({
        name: c.name,
        provider: c.provider,
        provider_name: c.provider_name,
        account: accounts.get(c.name) ?? null,
        status: c.status,
        scopes: c.scopes,
        bases: Object.keys(c.bases),
        tool: requestToolName(c.name),
        curated_tools: curatedTools.get(c.name) ?? [],
      }));
      if (
        !(await commit(deps.audit, exchange, {
          status: 200,
          reason: 'mcp tool list_connections',
          bytes_in: 0,
          bytes_out: 0,
        }))
      ) {
        return errorResult(auditUnavailable());
      }
      return result({ connections: listed });
    },
  );

  const names = new Set<string>(['list_connections']);
  for (const connection of connections()) {
    const name = requestToolName(connection.name);
    if (names.has(name)) continue; // two names spelled alike: the first keeps the tool
    names.add(name);
    server.registerTool(
      name,
      {
        description: `Call the ${connection.provider_name} API as the person's "${connection.name}" account, through Latchkey (which adds the credential). You hold the scopes: ${connection.scopes.join(', ') || 'none'}.${otherBases(connection.bases)} Returns status, selected headers and the body.`,
        inputSchema: requestInput,
        scopeChallenge: ({ request }) =>
          scopeChallenge(agent, name, connection.name, request.params?.arguments, runtime, log),
      },
      async (input, extra) => callTool(name, connection.name, () => input, extra.mcpReq.signal),
    );
    const provider = deps.catalog.get(connection.provider);
    for (const tool of provider?.api.tools ?? []) {
      const curated = requestToolName(connection.name, tool.name);
      if (names.has(curated) || !grantAllows(agent, connection.name, tool, runtime)) continue;
      names.add(curated);
      curatedTools.set(connection.name, [...(curatedTools.get(connection.name) ?? []), curated]);
      server.registerTool(
        curated,
        {
          description: `${tool.description} (${connection.provider_name}, as the person's "${connection.name}" account, through Latchkey.)`,
          inputSchema: fromJsonSchema<Record<string, unknown>>(tool.params as JsonSchemaType),
          ...(tool.method === 'GET' ? { annotations: { readOnlyHint: true } } : {}),
        },
        async (input, extra) => callTool(curated, connection.name, () => curatedCall(tool, input), extra.mcpReq.signal),
      );
    }
  }
  return server;
}

/**
 * Whether the agent's grant lets the curated tool's call through, as the proxy decides it
 * (rules of its base, scopes held), judged on the path with each placeholder filled. Only
 * such tools are listed; the real call is admitted again on its real path.
 */
function grantAllows(agent: AgentPrincipal, connection: string, tool: CuratedTool, runtime: ProxyRuntime): boolean {
  try {
    admitCall(
      agent,
      { connection, base: tool.base, path: samplePath(tool.path), query: '', audited: '' },
      tool.method,
      runtime.deps,
    );
    return true;
  } catch (error) {
    if (isLatchkeyError(error)) return false;
    throw error;
  }
}

/**
 * The step-up challenge for a request the agent's grant does not cover, if it is one
 * (endpoint rules as the proxy applies them). A challenged call is audited as refused.
 */
async function scopeChallenge(
  agent: AgentPrincipal,
  tool: string,
  connection: string,
  args: unknown,
  runtime: ProxyRuntime,
  log: Exchange['log'],
): Promise<ScopeChallenge | undefined> {
  const parsed = requestInput.safeParse(args);
  if (!parsed.success) return undefined; // the call itself reports the invalid arguments
  const { target, method, exchange } = toolCall(agent, connection, parsed.data, log);
  try {
    admitCall(agent, target, method, runtime.deps);
    return undefined;
  } catch (error) {
    if (!isLatchkeyError(error) || error.code !== 'insufficient_scope') return undefined;
    const required = Array.isArray(error.details.required_scopes) ? (error.details.required_scopes as string[]) : [];
    if (required.length === 0) return undefined; // no rule allows it: no scope would help
    const held = formatScope(agent.grants).split(' ').filter(Boolean);
    const scopes = [...new Set([...held, ...required.map((scope) => `${connection}:${scope}`)])] as [
      string,
      ...string[],
    ];
    await recordToolCall(runtime, exchange, tool, {
      status: 403,
      note: 'insufficient_scope (step-up challenge)',
      bytesIn: 0,
      bytesOut: 0,
    });
    return { scopes, errorDescription: challengeText(error.message) };
  }
}
