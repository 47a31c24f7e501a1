/**
 * `latchkey mcp-config` as a person runs it, with HOME (and the working directory) in a temp
 * dir so the clients' config files are the test's own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServeProcess, type ServeProcess } from '../fixtures/serve-process.js';

// Absolute, since the CLI runs in the temp home (VS Code's config is per working directory).
const CLI = ['--import', import.meta.resolve('tsx'), resolve('main/cli/latchkey.ts')];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(home: string, args: string[]): Promise<Result> {
  const child = spawn(process.execPath, [...CLI, 'mcp-config', ...args], {
    cwd: home,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: undefined, CODEX_HOME: undefined, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

const URL_ = 'http://127.0.0.1:4555/mcp';
const noBroker = (home: string): string[] => ['--data-dir', join(home, 'no-broker')];
const backupsOf = (file: string): string[] =>
  readdirSync(join(file, '..')).filter((name) => name.startsWith(`${file.split('/').pop()}.latchkey-backup-`));

/** Codex's table, read back with a pattern: the test needs one key of one table, not a TOML parser. */
function codexUrl(toml: string): string | undefined {
  const table = /^\[mcp_servers\.latchkey\]\n((?:(?!\[).*\n?)*)/m.exec(toml)?.[1] ?? '';
  const value = /^url = (".*")$/m.exec(table)?.[1];
  return value === undefined ? undefined : JSON.parse(value);
}

describe('latchkey mcp-config', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'latchkey-mcp-config-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test("prints each client's snippet for the default URL when no broker runs", async () => {
    const expected: Record<string, { file: string; check: (snippet: string) => void }> = {
      'claude-desktop': {
        file: join(home, '.config', 'Claude', 'claude_desktop_config.json'),
        check: (snippet) =>
          assert.deepEqual(JSON.parse(snippet), {
            mcpServers: { latchkey: { command: 'npx', args: ['-y', 'mcp-remote', 'http://127.0.0.1:7317/mcp'] } },
          }),
      },
      'claude-code': {
        file: join(home, '.claude.json'),
        check: (snippet) =>
          assert.equal(snippet, 'claude mcp add --transport http latchkey http://127.0.0.1:7317/mcp\n'),
      },
      cursor: {
        file: join(home, '.cursor', 'mcp.json'),
        check: (snippet) =>
          assert.deepEqual(JSON.parse(snippet), { mcpServers: { latchkey: { url: 'http://127.0.0.1:7317/mcp' } } }),
      },
      vscode: {
        file: join(home, '.vscode', 'mcp.json'),
        check: (snippet) =>
          assert.deepEqual(JSON.parse(snippet), {
            servers: { latchkey: { type: 'http', url: 'http://127.0.0.1:7317/mcp' } },
          }),
      },
      codex: {
        file: join(home, '.codex', 'config.toml'),
        check: (snippet) => assert.equal(codexUrl(snippet), 'http://127.0.0.1:7317/mcp'),
      },
    };
    for (const [client, { file, check }] of Object.entries(expected)) {
      const json = await run(home, ['--client', client, '--json', ...noBroker(home)]);
      assert.equal(json.code, 0, json.stderr);
      const printed = JSON.parse(json.stdout);
      assert.equal(printed.client, client);
      assert.equal(printed.url, 'http://127.0.0.1:7317/mcp');
      assert.equal(printed.file, file);
      check(printed.snippet);
      // The text for a person holds the same snippet, verbatim, after the instructions.
      const text = await run(home, ['--client', client, ...noBroker(home)]);
      assert.equal(text.code, 0, text.stderr);
      assert.ok(text.stdout.endsWith(`\n\n${printed.snippet}`), text.stdout);
      assert.match(text.stdout, /^Adding Latchkey \(http:\/\/127\.0\.0\.1:7317\/mcp\) to /);
    }
    const desktop = await run(home, ['--client', 'claude-desktop', ...noBroker(home)]);
    assert.match(desktop.stdout, /Settings → Connectors/);
    // Printing writes nothing.
    assert.deepEqual(readdirSync(home), []);
  });

  test('--url overrides the URL; a URL that is not http(s) is a usage error', async () => {
    const json = await run(home, ['--client', 'cursor', '--url', URL_, '--json', ...noBroker(home)]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(JSON.parse(json.stdout).snippet), { mcpServers: { latchkey: { url: URL_ } } });
    const bad = await run(home, ['--client', 'cursor', '--url', 'file:///etc/passwd']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not an http\(s\) URL/);
  });

  test('an unknown client is a usage error that lists the clients', async () => {
    const result = await run(home, ['--client', 'emacs']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /claude-desktop, claude-code, cursor, vscode, codex/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  test('--write merges the latchkey entry into a JSON config with other servers, after a backup', async () => {
    const file = join(home, '.cursor', 'mcp.json');
    mkdirSync(join(home, '.cursor'), { recursive: true });
    const before = JSON.stringify({
      theme: 'dark',
      mcpServers: { github: { url: 'https://example.test/mcp' }, latchkey: { url: 'http://old.test/mcp' } },
    });
    writeFileSync(file, before, { mode: 0o640 });
    const result = await run(home, ['--client', 'cursor', '--url', URL_, '--write', ...noBroker(home)]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
      theme: 'dark',
      mcpServers: { github: { url: 'https://example.test/mcp' }, latchkey: { url: URL_ } },
    });
    assert.equal(statSync(file).mode & 0o777, 0o640);
    const backups = backupsOf(file);
    assert.equal(backups.length, 1);
    const backup = join(home, '.cursor', backups[0] as string);
    assert.equal(readFileSync(backup, 'utf8'), before);
    assert.ok(result.stdout.includes(file) && result.stdout.includes(backup), result.stdout);
  });

  test("--write into ~/.claude.json keeps Claude Code's other state and servers", async () => {
    const file = join(home, '.claude.json');
    writeFileSync(
      file,
      JSON.stringify({
        numStartups: 4,
        projects: { '/x': { allowedTools: [] } },
        mcpServers: { other: { type: 'stdio', command: 'other' } },
      }),
    );
    const result = await run(home, ['--client', 'claude-code', '--url', URL_, '--write', '--json', ...noBroker(home)]);
    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout);
    assert.equal(printed.file, file);
    assert.equal(
      readFileSync(printed.backup, 'utf8'),
      JSON.stringify({
        numStartups: 4,
        projects: { '/x': { allowedTools: [] } },
        mcpServers: { other: { type: 'stdio', command: 'other' } },
      }),
    );
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
      numStartups: 4,
      projects: { '/x': { allowedTools: [] } },
      mcpServers: { other: { type: 'stdio', command: 'other' }, latchkey: { type: 'http', url: URL_ } },
    });
  });

  test("--write creates a missing config file with mode 0600, and writes VS Code's into ./.vscode", async () => {
    const result = await run(home, ['--client', 'vscode', '--url', URL_, '--write', '--json', ...noBroker(home)]);
    assert.equal(result.code, 0, result.stderr);
    const file = join(home, '.vscode', 'mcp.json');
    assert.equal(JSON.parse(result.stdout).backup, null);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { servers: { latchkey: { type: 'http', url: URL_ } } });
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('--write through a symlinked config file updates the target and keeps the link', async () => {
    const real = join(home, 'dotfiles-desktop.json');
    writeFileSync(real, JSON.stringify({ mcpServers: {} }));
    mkdirSync(join(home, '.config', 'Claude'), { recursive: true });
    const file = join(home, '.config', 'Claude', 'claude_desktop_config.json');
    symlinkSync(real, file);
    const result = await run(home, ['--client', 'claude-desktop', '--url', URL_, '--write', ...noBroker(home)]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(lstatSync(file).isSymbolicLink());
    assert.deepEqual(JSON.parse(readFileSync(real, 'utf8')), {
      mcpServers: { latchkey: { command: 'npx', args: ['-y', 'mcp-remote', URL_] } },
    });
    assert.equal(readFileSync(file, 'utf8'), readFileSync(real, 'utf8'));
  });

  test('--write refuses a config file that is not valid JSON and leaves it untouched', async () => {
    const dir = join(home, 'broken');
    const file = join(dir, '.cursor', 'mcp.json');
    mkdirSync(join(dir, '.cursor'), { recursive: true });
    const broken = '{ "mcpServers": { // a comment\n "x": {} } }\n';
    writeFileSync(file, broken);
    const result = await run(dir, ['--client', 'cursor', '--url', URL_, '--write', ...noBroker(dir)]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /is not valid JSON.*nothing was written.*\[invalid_config_file\]/);
    assert.equal(readFileSync(file, 'utf8'), broken);
    assert.deepEqual(readdirSync(join(dir, '.cursor')), ['mcp.json']);
  });

  test("--write replaces an existing [mcp_servers.latchkey] table in Codex's config.toml, else appends one", async () => {
    const file = join(home, '.codex', 'config.toml');
    mkdirSync(join(home, '.codex'), { recursive: true });
    const head = 'model = "o3"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n\n';
    const tail = '\n[profiles.fast]\nmodel = "mini"\n';
    writeFileSync(
      file,
      `${head}[mcp_servers.latchkey]\nurl = "http://old.test/mcp"\nbearer_token_env_var = "OLD"\n${tail}`,
    );
    const replaced = await run(home, ['--client', 'codex', '--url', URL_, '--write', ...noBroker(home)]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(readFileSync(file, 'utf8'), `${head}[mcp_servers.latchkey]\nurl = "${URL_}"\n${tail}`);
    assert.equal(backupsOf(file).length, 1);

    writeFileSync(file, 'model = "o3"');
    const appended = await run(home, ['--client', 'codex', '--url', URL_, '--write', ...noBroker(home)]);
    assert.equal(appended.code, 0, appended.stderr);
    assert.equal(readFileSync(file, 'utf8'), `model = "o3"\n\n[mcp_servers.latchkey]\nurl = "${URL_}"\n`);
  });

  describe('with a running broker', () => {
    let serve: ServeProcess;
    before(async () => {
      serve = await startServeProcess();
    });
    after(async () => {
      await serve.stop();
      rmSync(serve.dataDir, { recursive: true, force: true });
    });

    test("the URL is the broker's own + /mcp, found through --data-dir", async () => {
      assert.doesNotMatch(serve.url, /:7317$/); // the fixture listens on a free port
      const result = await run(home, ['--client', 'codex', '--json', '--data-dir', serve.dataDir]);
      assert.equal(result.code, 0, result.stderr);
      const printed = JSON.parse(result.stdout);
      assert.equal(printed.url, `${serve.url}/mcp`);
      assert.equal(codexUrl(printed.snippet), `${serve.url}/mcp`);
    });
  });
});
