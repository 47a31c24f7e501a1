import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import type { AuditDecision, AuditExportFormat, AuditPage, AuditVerification } from '../common/admin-api.js';
import { adminClient } from './admin-token.js';
import { auditRow, followAudit } from './audit-follow.js';
import type { ControlClient } from './control-client.js';
import { findAgent } from './find-agent.js';
import { dataDirOf, dataDirOption, jsonOption, parsePositiveInteger, parseSince } from './options.js';
import { printJson, printLine, printTable } from './output.js';

interface FilterOptions {
  agent?: string;
  connection?: string;
  decision?: AuditDecision;
  since?: string;
  dataDir?: string;
}

/** The filters `audit` and `audit export` share. */
function withFilters(command: Command): Command {
  return command
    .option('--agent <name>', "only this agent's entries")
    .option('--connection <name>', "only this connection's entries")
    .addOption(
      new Option('--decision <decision>', 'only allowed, denied or informational entries').choices([
        'allow',
        'deny',
        'info',
      ]),
    )
    .option('--since <when>', 'only entries since a duration ago (30m, 1h, 7d) or a date-time', (value: string) =>
      parseSince(value),
    )
    .addOption(dataDirOption());
}

async function query(client: ControlClient, options: FilterOptions): Promise<URLSearchParams> {
  const params = new URLSearchParams();
  // The API filters by agent id; people know agents by name.
  if (options.agent) params.set('agent', (await findAgent(client, options.agent)).id);
  if (options.connection) params.set('connection', options.connection);
  if (options.decision) params.set('decision', options.decision);
  if (options.since) params.set('since', options.since);
  return params;
}

/** `latchkey audit` lists entries, newest first; `audit verify` and `audit export` check and download the log. */
export function register(program: Command): void {
  const audit = withFilters(program.command('audit'))
    .description('What agents did, newest first; `audit verify` checks the hash chain, `audit export` downloads it')
    .option('--limit <n>', 'at most this many entries (1-500)', parsePositiveInteger(500), 50)
    .addOption(jsonOption())
    .option(
      '--follow',
      'print new entries as they commit (after the filters; --limit and --since do not apply), until Ctrl-C or the broker stops',
    )
    .action(async (options: FilterOptions & { limit: number; json?: boolean; follow?: boolean }) => {
      const client = await adminClient(dataDirOf(options));
      const params = await query(client, options);
      if (options.follow)
        return followAudit(
          client,
          { agentId: params.get('agent') ?? undefined, connection: options.connection, decision: options.decision },
          options.json === true,
        );
      params.set('limit', String(options.limit));
      const { entries } = await client.call<AuditPage>('GET', `/audit?${params}`);
      if (options.json) return printJson(entries);
      printTable(
        ['TIME', 'AGENT', 'CONNECTION', 'DECISION', 'REQUEST', 'STATUS', 'REASON'],
        entries.map(auditRow),
        'No audit entries match.',
      );
    });

  audit
    .command('verify')
    .description('Walk the hash chain: exit 0 when every entry is intact, 1 when one was changed or removed')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ dataDir?: string; json?: boolean }>();
      const client = await adminClient(dataDirOf(options));
      const result = await client.call<AuditVerification>('GET', '/audit/verify');
      if (!result.ok) process.exitCode = 1;
      if (options.json) return printJson(result);
      printLine(
        result.ok
          ? `The audit log is intact: ${result.checked} entries checked.`
          : `The audit log was tampered with: entry ${result.first_bad} is wrong, missing or unexpected (${result.checked} entries before it are intact).`,
      );
    });

  withFilters(audit.command('export'))
    .description('Download the matching entries, oldest first, as JSON lines or CSV')
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).makeOptionMandatory())
    .option('--output <file>', 'write to this file (created readable by you only) instead of stdout')
    .action(async (_options: unknown, command: Command) => {
      // `audit --agent bot export …` filters too.
      const options = command.optsWithGlobals<FilterOptions & { format: AuditExportFormat; output?: string }>();
      const client = await adminClient(dataDirOf(options));
      const params = await query(client, options);
      params.set('format', options.format);
      const response = await client.open('GET', `/audit/export?${params}`);
      await pipeline(response, options.output ? createWriteStream(options.output, { mode: 0o600 }) : process.stdout);
    });
}
