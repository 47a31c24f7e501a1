import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Connection, ConnectRequest, ConnectResult, Flow, ProviderList } from '../common/admin-api.js';
import type { ErrorCode } from '../core/error-codes.js';
import { LatchkeyError } from '../core/errors.js';
import { adminClient } from './admin-token.js';
import type { ControlClient } from './control-client.js';
import { collect, dataDirOf, dataDirOption } from './options.js';
import { printLine, withSpinner } from './output.js';

interface ConnectOptions {
  dataDir?: string;
  name?: string;
  scope?: string[];
  device?: boolean;
  key?: '-';
  browser: boolean;
}

const POLL_MS = 500;

export function register(program: Command): void {
  program
    .command('connect')
    .description('Connect an account: in the browser (default), with a device code, or with a key from stdin')
    .argument('<provider>', 'the provider id (see `latchkey providers`)')
    .option('--name <name>', 'name of the connection (default: the provider id)')
    .option('--scope <scope>', "a scope to ask for; repeat for more (default: the provider's defaults)", collect)
    .addOption(new Option('--device', 'device flow: prints a code to enter on another device').conflicts('key'))
    .addOption(
      new Option(
        '--key <source>',
        'read an API key or personal token from stdin ("-"); never from the command line',
      ).argParser(stdinOnly),
    )
    .option('--no-browser', 'print the sign-in URL instead of opening the browser')
    .addOption(dataDirOption())
    .addHelpText(
      'after',
      '\nExamples:\n  latchkey connect github --scope repo\n  latchkey connect github --device\n  printf %s "$OPENAI_API_KEY" | latchkey connect openai --key -',
    )
    .action(async (provider: string, options: ConnectOptions) => {
      const client = await adminClient(dataDirOf(options));
      const request: ConnectRequest = {
        provider,
        ...(options.name ? { name: options.name } : {}),
        ...(options.scope ? { scopes: options.scope } : {}),
      };
      if (options.key) {
        const secret = await readSecret();
        const connected = await client.call<ConnectResult>('POST', '/connections', {
          ...request,
          method: await secretMethod(client, provider),
          secret,
        });
        if (connected.kind === 'connected') return reportConnected(connected.connection);
        throw new LatchkeyError(
          'connect_failed',
          `The broker started a ${connected.kind} flow instead of storing the key.`,
          500,
        );
      }
      const started = await client.call<ConnectResult>('POST', '/connections', {
        ...request,
        method: options.device ? 'device' : 'browser',
      });
      if (started.kind === 'connected') return reportConnected(started.connection);
      if (started.kind === 'device') {
        printLine(`Open ${started.verification_uri} and enter the code ${started.user_code}`);
        if (started.verification_uri_complete) printLine(`(or open ${started.verification_uri_complete})`);
      } else if (!options.browser || !openBrowser(started.authorize_url)) {
        printLine(`Open this URL to sign in: ${started.authorize_url}`);
      } else {
        printLine(`Opened your browser to sign in. If it did not open, visit: ${started.authorize_url}`);
      }
      const flow = await withSpinner(
        'Waiting for you to finish signing in…',
        waitForFlow(client, started.flow_id, Date.parse(started.expires_at)),
      );
      reportConnected(flow);
    });
}

function stdinOnly(value: string): '-' {
  if (value !== '-')
    throw new InvalidArgumentError(
      'give "-" and pipe the key on stdin: a key on the command line would land in your shell history.',
    );
  return value;
}

/** The whole of stdin without its final line break; refused from a terminal, where nothing was piped. */
async function readSecret(): Promise<string> {
  if (process.stdin.isTTY)
    throw new LatchkeyError(
      'invalid_option',
      '--key - reads the key from stdin: pipe it in, e.g. `pbpaste | latchkey connect openai --key -`.',
    );
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  const secret = text.replace(/\r?\n$/, '');
  if (!secret)
    throw new LatchkeyError(
      'secret_required',
      'Nothing arrived on stdin: pipe the key into `latchkey connect PROVIDER --key -`.',
    );
  return secret;
}

/** An API-key provider takes `api_key`; an OAuth provider may take a personal token instead. */
async function secretMethod(client: ControlClient, provider: string): Promise<'api_key' | 'personal_token'> {
  const { providers } = await client.call<ProviderList>('GET', '/providers');
  const summary = providers.find((p) => p.id === provider);
  if (!summary)
    throw new LatchkeyError(
      'unknown_provider',
      `No provider "${provider}". Providers: ${providers.map((p) => p.id).join(', ')}`,
      404,
    );
  if (summary.connect_methods.includes('api_key')) return 'api_key';
  if (summary.connect_methods.includes('personal_token')) return 'personal_token';
  throw new LatchkeyError(
    'unsupported_method',
    `${summary.name} takes no key or personal token; connect it with the browser or --device.`,
  );
}

/** Polls the flow until it ends, at most until it expires. */
async function waitForFlow(client: ControlClient, flowId: string, expiresAt: number): Promise<Connection> {
  while (Date.now() < expiresAt) {
    const flow = await client.call<Flow>('GET', `/connections/flows/${encodeURIComponent(flowId)}`);
    if (flow.status === 'connected' && flow.connection) return flow.connection;
    if (flow.status === 'failed') {
      // The broker's code for the failed flow, passed on as it came.
      throw new LatchkeyError(
        (flow.error ?? 'connect_failed') as ErrorCode,
        `${flow.error_description ?? 'The connection failed'}. Run \`latchkey connect\` again.`,
        400,
      );
    }
    await sleep(POLL_MS);
  }
  throw new LatchkeyError(
    'flow_expired',
    'Signing in took too long and the flow expired. Run `latchkey connect` again.',
    408,
  );
}

function reportConnected(connection: Connection): void {
  printLine(
    `Connected "${connection.name}" (${connection.provider}${connection.account ? `, ${connection.account}` : ''}).`,
  );
}

/** Hands the URL to the system's opener; false when there is none to run. */
function openBrowser(url: string): boolean {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    // A missing opener fails asynchronously; the URL is printed either way.
    child.on('error', () => {});
    child.unref();
    return child.pid !== undefined;
  } catch {
    // spawn refused outright (no such program): the caller prints the URL to open by hand
    return false;
  }
}
