import type { Command } from 'commander';
import type { BrokerStatus } from '../common/admin-api.js';
import { isLatchkeyError } from '../core/errors.js';
import { ControlClient } from './control-client.js';
import { dataDirOf, dataDirOption, jsonOption } from './options.js';
import { printJson, printLine, styled } from './output.js';

/** `latchkey status`: needs no admin credential; exits 1 when no broker runs on the data dir. */
export function register(program: Command): void {
  program
    .command('status')
    .description('Whether Latchkey is running, its URL, the kill switch and what it holds')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { dataDir?: string; json?: boolean }) => {
      const dataDir = dataDirOf(options);
      let status: BrokerStatus;
      try {
        status = await new ControlClient(dataDir).call<BrokerStatus>('GET', '/status');
      } catch (error) {
        if (!isLatchkeyError(error) || error.code !== 'broker_not_running' || !options.json) throw error;
        printJson({ running: false, data_dir: dataDir });
        process.exitCode = 1;
        return;
      }
      if (options.json) {
        printJson({ running: true, ...status });
        return;
      }
      const { counts } = status;
      printLine(`Latchkey ${status.version} is running at ${status.url}`);
      printLine(
        `Agents:      ${status.paused ? styled('red', 'PAUSED: every agent request is refused (`latchkey resume`)') : 'allowed'}`,
      );
      printLine(
        `Holds:       ${counts.connections} connection${counts.connections === 1 ? '' : 's'}, ${counts.agents} agent${counts.agents === 1 ? '' : 's'}, ${counts.pending_approvals} pending approval${counts.pending_approvals === 1 ? '' : 's'}`,
      );
      printLine(
        `Data dir:    ${status.data_dir} (secrets in the ${status.secret_store === 'file' ? 'encrypted file' : 'OS keychain'})`,
      );
      printLine(`Since:       ${status.started_at}`);
    });
}
