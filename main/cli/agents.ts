import type { Command } from 'commander';
import type { AgentList, AgentView, CreatedAgent, DeletedAgent, Grant } from '../common/admin-api.js';
import { adminClient } from './admin-token.js';
import type { ControlClient } from './control-client.js';
import { findAgent } from './find-agent.js';
import { collectGrant, dataDirOf, dataDirOption, jsonOption, withAsk } from './options.js';
import { formatRegistration, formatTime, printJson, printLine, printTable } from './output.js';

/** `connection:scope` items; an ask-first scope is marked `(ask)`. */
export const formatGrants = (grants: Grant[]): string =>
  grants
    .flatMap((g) => g.scopes.map((scope) => `${g.connection}:${scope}${g.ask?.includes(scope) ? '(ask)' : ''}`))
    .join(' ') || '-';

/** `latchkey agents` lists; its subcommands create, revoke and delete (they also take the options given before them). */
export function register(program: Command): void {
  const agents = program
    .command('agents')
    .description('Agents and what they may use; `agents create|revoke|delete` manage them')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { dataDir?: string; json?: boolean }) => {
      const client = await adminClient(dataDirOf(options));
      const { agents: list } = await client.call<AgentList>('GET', '/agents');
      if (options.json) return printJson(list);
      printTable(
        ['NAME', 'STATUS', 'GRANTS', 'REGISTERED', 'CREATED'],
        list.map((a) => [
          a.name,
          a.status,
          formatGrants(a.grants),
          formatRegistration(a.registration),
          formatTime(a.created_at),
        ]),
        'No agents yet: `latchkey agents create NAME --grant CONNECTION:SCOPE` adds one.',
      );
    });

  agents
    .command('create')
    .description('Create an agent with grants; prints its client secret once')
    .argument('<name>', "the agent's name")
    .requiredOption(
      '--grant <connection:scope>',
      'what it may use, e.g. github:repo (github:* = everything the connection holds); repeat for more',
      collectGrant,
    )
    .option(
      '--ask <connection:scope>',
      'ask first: each call under this granted scope waits for your approval (e.g. github:repo); repeat for more',
      collectGrant,
    )
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ grant: Grant[]; ask?: Grant[]; dataDir?: string; json?: boolean }>();
      const ungranted = options.ask?.find((a) => !options.grant.some((g) => g.connection === a.connection));
      if (ungranted) {
        command.error(
          `error: --ask ${ungranted.connection}:${ungranted.scopes[0]} needs a --grant on "${ungranted.connection}" too`,
          {
            exitCode: 2,
          },
        );
      }
      const client = await adminClient(dataDirOf(options));
      const grants = withAsk(options.grant, options.ask);
      const created = await client.call<CreatedAgent>('POST', '/agents', { name, grants });
      if (options.json) return printJson(created);
      printLine(`Created agent "${created.name}" with ${formatGrants(created.grants)}.`);
      printLine(`client_id:     ${created.client_id}`);
      printLine(`client_secret: ${created.client_secret}`);
      printLine(
        'The secret is shown only this once. Or skip it: `latchkey exec --agent NAME -- COMMAND` gives the command a token.',
      );
    });

  agentAction(
    agents,
    'revoke',
    'Revoke an agent: its tokens stop working at once (it stays listed)',
    async (client, agent, name) => {
      await client.call<AgentView>('POST', `/agents/${encodeURIComponent(agent.id)}/revoke`);
      return `Revoked "${name}": its tokens are refused from now on.`;
    },
  );

  agentAction(agents, 'delete', 'Delete an agent and its tokens', async (client, agent, name) => {
    await client.call<DeletedAgent>('DELETE', `/agents/${encodeURIComponent(agent.id)}`);
    return `Deleted "${name}".`;
  });
}

/** `agents <verb> NAME`: finds the agent by name, does `act` with the admin client, prints its one line. */
function agentAction(
  agents: Command,
  verb: string,
  description: string,
  act: (client: ControlClient, agent: AgentView, name: string) => Promise<string>,
): void {
  agents
    .command(verb)
    .description(description)
    .argument('<name>', "the agent's name")
    .addOption(dataDirOption())
    .action(async (name: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ dataDir?: string }>();
      const client = await adminClient(dataDirOf(options));
      printLine(await act(client, await findAgent(client, name), name));
    });
}
