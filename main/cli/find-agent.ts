import type { AgentList, AgentView } from '../common/admin-api.js';
import { LatchkeyError } from '../core/errors.js';
import type { ControlClient } from './control-client.js';

/** The agent called `name`; an unknown name is an error that lists the names there are. */
export async function findAgent(client: ControlClient, name: string): Promise<AgentView> {
  const { agents } = await client.call<AgentList>('GET', '/agents');
  const agent = agents.find((candidate) => candidate.name === name);
  if (!agent) {
    throw new LatchkeyError(
      'unknown_agent',
      `No agent named "${name}". Agents: ${agents.map((a) => a.name).join(', ') || 'none yet (create one with `latchkey agents create`)'}`,
      404,
    );
  }
  return agent;
}
