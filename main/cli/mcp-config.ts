import { constants } from 'node:fs';
import { copyFile, readFile, realpath, stat } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { BrokerStatus } from '../common/admin-api.js';
import { isLatchkeyError } from '../core/errors.js';
import { ControlClient } from './control-client.js';
import { mcpUrlOf, type McpClientId } from '../common/mcp-snippets.js';
import { currentEnvironment, MCP_CLIENTS } from './mcp-clients.js';
import { dataDirOf, dataDirOption, jsonOption } from './options.js';
import { printJson, printLine } from './output.js';
import { writeFileAtomic } from '../core/files/write-file-atomic.js';

const DEFAULT_MCP_URL = 'http://127.0.0.1:7317/mcp';

function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a URL (e.g. ${DEFAULT_MCP_URL}).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(`"${value}" is not an http(s) URL.`);
  return url.href;
}

/** The running broker's /mcp for the data dir, else the default port's. */
async function brokerMcpUrl(dataDir: string): Promise<string> {
  try {
    const status = await new ControlClient(dataDir).call<BrokerStatus>('GET', '/status');
    return mcpUrlOf(status.url);
  } catch (error) {
    if (isLatchkeyError(error) && error.code === 'broker_not_running') return DEFAULT_MCP_URL;
    throw error;
  }
}

/** Merges the latchkey entry into `file` after backing the file up; returns the backup's path (null: there was no file). */
async function writeConfig(file: string, merge: (existing: string | undefined) => string): Promise<string | null> {
  let existing: string | undefined;
  try {
    existing = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const merged = merge(existing); // throws on a file it cannot merge, before anything is touched
  if (existing === undefined) {
    await writeFileAtomic(file, merged, 0o600);
    return null;
  }
  // Through a symlink (dotfile managers) to the real file, so the link stays a link.
  const target = await realpath(file);
  const mode = (await stat(target)).mode & 0o777;
  const backup = `${file}.latchkey-backup-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await copyFile(target, backup, constants.COPYFILE_EXCL);
  await writeFileAtomic(target, merged, mode);
  return backup;
}

/** `latchkey mcp-config --client X`: the snippet that adds Latchkey's /mcp to an MCP client, or `--write` to merge it in. */
export function register(program: Command): void {
  program
    .command('mcp-config')
    .description('Print (or --write) the config that adds Latchkey to an MCP client')
    .addOption(
      new Option('--client <client>', 'the MCP client').choices(Object.keys(MCP_CLIENTS)).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--url <url>',
        `the MCP URL (default: the running broker's URL + /mcp, else ${DEFAULT_MCP_URL})`,
      ).argParser(parseUrl),
    )
    .addOption(new Option('--write', "merge the entry into the client's config file, after a backup"))
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { client: string; url?: string; write?: boolean; dataDir?: string; json?: boolean }) => {
      const client = MCP_CLIENTS[options.client as McpClientId]; // choices() refused any other name
      const url = options.url ?? (await brokerMcpUrl(dataDirOf(options)));
      const file = client.file(currentEnvironment());
      const snippet = client.snippet(url);
      if (!options.write) {
        if (options.json) {
          printJson({ client: options.client, url, file, snippet });
          return;
        }
        printLine(`Adding Latchkey (${url}) to ${client.label}. ${client.instructions(file)}`);
        printLine();
        process.stdout.write(snippet);
        return;
      }
      const backup = await writeConfig(file, (existing) => client.merge(existing, file, url));
      if (options.json) {
        printJson({ client: options.client, url, file, snippet, written: true, backup });
        return;
      }
      printLine(`Added Latchkey (${url}) to ${client.label} in ${file}.`);
      printLine(backup ? `The previous file is kept as ${backup}.` : 'The file is new: there was nothing to back up.');
    });
}
