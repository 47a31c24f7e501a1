import { parseArgs } from 'node:util';
import { LatchkeyError } from '../core/errors.js';
import { defaultDataDir } from '../core/paths.js';
import { createLogger, isLogLevel, LOG_LEVELS } from '../core/log.js';
import { beginKeyDerivation } from '../core/vault/encrypted-file.js';
import { vaultFile } from '../core/vault/broker-vault.js';

const HELP = `Usage: latchkey serve [options]

Runs the broker on loopback (127.0.0.1, and ::1 where present) and prints the dashboard link.

Options:
  --port N                 Port to listen on (default 7317; 0 = any free port)
  --data-dir DIR           Data folder (default: ${defaultDataDir()})
  --secret-store STORE     keychain (default) or file (AES-256-GCM, key from LATCHKEY_PASSPHRASE via scrypt)
  --providers DIR          Extra provider definitions (DATA_DIR/providers/*.json is always read)
  --log-level LEVEL        ${LOG_LEVELS.join(', ')} (default info); JSON lines on stderr
  --ask-timeout SECONDS    How long a call under an ask-first scope waits for your answer (default 60, at most 600)
  --access-token-ttl N     Lifetime of agents' access tokens in seconds, 1-900 (default 900);
                           \`latchkey exec\` tokens live as long as their session
  -h, --help               Show this help

Environment:
  LATCHKEY_PASSPHRASE      Passphrase of the file secret store
  LATCHKEY_ADMIN_TOKEN     Fixed admin token (automation); random per start otherwise`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '7317' },
      'data-dir': { type: 'string' },
      'secret-store': { type: 'string', default: 'keychain' },
      providers: { type: 'string', multiple: true },
      'log-level': { type: 'string', default: 'info' },
      'ask-timeout': { type: 'string', default: '60' },
      'access-token-ttl': { type: 'string', default: '900' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new LatchkeyError('invalid_option', `--port must be 0–65535, not "${values.port}"`);
  const level = values['log-level'];
  if (!isLogLevel(level))
    throw new LatchkeyError('invalid_option', `--log-level is one of ${LOG_LEVELS.join(', ')}, not "${level}"`);
  const askTimeout = Number(values['ask-timeout']);
  if (!Number.isInteger(askTimeout) || askTimeout < 1 || askTimeout > 600)
    throw new LatchkeyError(
      'invalid_option',
      `--ask-timeout is a whole number of seconds from 1 to 600, not "${values['ask-timeout']}"`,
    );
  const accessTokenTtl = Number(values['access-token-ttl']);
  if (!Number.isInteger(accessTokenTtl) || accessTokenTtl < 1 || accessTokenTtl > 900)
    throw new LatchkeyError(
      'invalid_option',
      `--access-token-ttl is 1–900 seconds, not "${values['access-token-ttl']}"`,
    );
  const store = values['secret-store'];
  if (store !== 'keychain' && store !== 'file')
    throw new LatchkeyError('invalid_option', `--secret-store is "keychain" or "file", not "${store}"`);
  if (store === 'file' && !process.env.LATCHKEY_PASSPHRASE) {
    throw new LatchkeyError(
      'passphrase_required',
      '--secret-store file needs the passphrase in LATCHKEY_PASSPHRASE; Latchkey never stores secrets in plaintext',
    );
  }

  // Signals are taken from here on: one arriving while the broker starts stops it once it is up, cleanly.
  const stopRequested = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const dataDir = values['data-dir'] ?? defaultDataDir();
  // The file store's scrypt runs on the thread pool while the broker's modules load (a third of a cold start).
  const deriving =
    store === 'file' ? beginKeyDerivation(vaultFile(dataDir), process.env.LATCHKEY_PASSPHRASE as string) : undefined;
  const { startBroker } = await import('../core/broker.js');
  await deriving;
  const broker = await startBroker({
    dataDir,
    port,
    secretStore: store,
    passphrase: process.env.LATCHKEY_PASSPHRASE,
    providerDirs: values.providers,
    adminToken: process.env.LATCHKEY_ADMIN_TOKEN || undefined,
    logger: createLogger({ level }),
    askFirst: { timeoutMs: askTimeout * 1000 },
    accessTokenTtlSeconds: accessTokenTtl,
  });
  process.stdout.write(`Latchkey listening on ${broker.url}\nDashboard: ${broker.dashboardUrl}\n`);

  await stopRequested;
  // Stop accepting, let in-flight requests finish, close the database, release the data dir.
  await broker.close();
  return 0;
}
