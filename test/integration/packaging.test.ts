/**
 * Packaging without the network: electron-builder packs the built app (`npm run build`) for
 * `--linux dir` around a stand-in Electron distribution (a file carrying Electron's fuse wire
 * where the binary would be), without rebuilding native modules. The output is then read back:
 * what the app's asar holds and what it must not, the native modules outside it, the fuses.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../desktop/shell-process.js';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as {
  listPackage(archive: string, options?: { isPack: boolean }): string[];
  statFile(archive: string, filename: string): { unpacked?: boolean };
  extractFile(archive: string, filename: string): Buffer;
};
const fuses = require('@electron/fuses') as {
  getCurrentFuseWire(electron: string): Promise<Record<string, number | string>>;
};
const run = promisify(execFile);

/** Electron's fuse sentinel (@electron/fuses), then wire version 1, its length, and every fuse at its Electron default. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const DEFAULT_FUSES = '10111100';
/** Indexes in the V1 wire (FuseV1Options) and what electron-builder.yml asks for; '0' disabled, '1' enabled. */
const EXPECTED_FUSES: Record<string, string> = {
  RunAsNode: '0',
  EnableCookieEncryption: '1',
  EnableNodeOptionsEnvironmentVariable: '0',
  EnableNodeCliInspectArguments: '0',
  EnableEmbeddedAsarIntegrityValidation: '1',
  OnlyLoadAppFromAsar: '1',
  GrantFileProtocolExtraPrivileges: '0',
};
const FUSE_INDEX: Record<string, number> = {
  RunAsNode: 0,
  EnableCookieEncryption: 1,
  EnableNodeOptionsEnvironmentVariable: 2,
  EnableNodeCliInspectArguments: 3,
  EnableEmbeddedAsarIntegrityValidation: 4,
  OnlyLoadAppFromAsar: 5,
  GrantFileProtocolExtraPrivileges: 7,
};
/** Any download attempt goes to a closed loopback port and fails the build. */
const NO_NETWORK = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  ELECTRON_GET_USE_PROXY: '1',
  NO_PROXY: '',
  no_proxy: '',
};

interface PackageJson {
  name: string;
  main?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

const readJson = (file: string): PackageJson => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

/** Node's lookup: `node_modules/<name>` next to `from`, then in each folder above; `exists` says whether a package folder exists. */
function resolvePackage(name: string, from: string, exists: (dir: string) => boolean): string | undefined {
  for (let dir = from; ; dir = parentOf(dir)) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (exists(candidate)) return candidate;
    if (dir === '') return undefined;
  }
}

/** "node_modules/a/node_modules/@s/b" → "node_modules/a"; "node_modules/a" → "". */
function parentOf(dir: string): string {
  const at = dir.lastIndexOf('/node_modules/');
  return at < 0 ? '' : dir.slice(0, at);
}

interface Tree {
  exists(dir: string): boolean;
  manifest(dir: string): PackageJson & { version?: string };
}

/**
 * Walks the app's run-time dependencies in the packed tree, next to the installed one: each
 * dependency must resolve in the asar (electron-builder may hoist it elsewhere) to the version
 * the installed tree resolves for the same requirer. Returns the packed folders visited.
 */
function checkPackedDependencies(installed: Tree, packed: Tree): { visited: Set<string>; problems: string[] } {
  const visited = new Set<string>();
  const problems: string[] = [];
  const visit = (installedDir: string, packedDir: string): void => {
    const pkg = installed.manifest(installedDir === '' ? '.' : installedDir);
    const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
    for (const name of [...Object.keys(pkg.dependencies ?? {}), ...optional]) {
      const want = resolvePackage(name, installedDir, installed.exists);
      if (!want) {
        if (!optional.has(name)) problems.push(`${name} (needed by ${pkg.name}) is not installed`);
        continue; // another platform's optional package
      }
      const got = resolvePackage(name, packedDir, packed.exists);
      const version = installed.manifest(want).version;
      if (!got) {
        problems.push(`${name}@${version} (needed by ${pkg.name}) is not in the asar`);
        continue;
      }
      if (packed.manifest(got).version !== version)
        problems.push(`${pkg.name} would load ${name}@${packed.manifest(got).version} instead of ${version}`);
      if (visited.has(got)) continue;
      visited.add(got);
      visit(want, got);
    }
  };
  visit('', '');
  return { visited, problems };
}

describe('packaging (electron-builder --linux dir, stand-in Electron, no network)', () => {
  let work: string;
  let project: string;
  let unpacked: string;
  let archive: string;
  let entries: Set<string>;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'latchkey-pack-'));
    // The project as a checkout has it (sources, tests, the build in dist/), with its installed
    // node_modules as hard links: npm must see a real node_modules folder to list the dependency tree.
    project = join(work, 'project');
    cpSync(REPO, project, {
      recursive: true,
      filter: (source) => !['node_modules', '.git', 'release'].includes(relative(REPO, source)),
    });
    const modules = realpathSync(join(REPO, 'node_modules'));
    try {
      await run('cp', ['-al', modules, join(project, 'node_modules')]);
    } catch {
      rmSync(join(project, 'node_modules'), { recursive: true, force: true });
      await run('cp', ['-a', modules, join(project, 'node_modules')]); // another file system: no hard links there
    }

    const electronDist = join(work, 'electron-dist');
    mkdirSync(electronDist);
    writeFileSync(
      join(electronDist, 'electron'),
      Buffer.concat([
        Buffer.from('#!/bin/sh\necho "stand-in Electron" >&2\nexit 1\n'),
        Buffer.from(FUSE_SENTINEL),
        Buffer.from([1, DEFAULT_FUSES.length]),
        Buffer.from(DEFAULT_FUSES),
      ]),
      { mode: 0o755 },
    );
    writeFileSync(
      join(electronDist, 'LICENSE'),
      'Stand-in for the Electron distribution (test/integration/packaging.test.ts).\n',
    );
    writeFileSync(
      join(electronDist, 'version'),
      (JSON.parse(readFileSync(join(modules, 'electron', 'package.json'), 'utf8')) as { version: string }).version,
    );

    const output = join(work, 'out');
    try {
      await run(
        join(project, 'node_modules', '.bin', 'electron-builder'),
        [
          '--linux',
          'dir',
          '--projectDir',
          project,
          '--publish',
          'never',
          `-c.electronDist=${electronDist}`,
          '-c.npmRebuild=false',
          `-c.directories.output=${output}`,
        ],
        { cwd: project, env: { ...process.env, ...NO_NETWORK }, maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`electron-builder failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
    }
    unpacked = join(output, 'linux-unpacked');
    archive = join(unpacked, 'resources', 'app.asar');
    entries = new Set(asar.listPackage(archive).map((entry) => entry.split(sep).join('/').replace(/^\//, '')));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the app is the executable named in electron-builder.yml, with its app.asar', () => {
    assert.ok(existsSync(join(unpacked, 'latchkey')), 'linux.executableName');
    assert.ok(existsSync(archive));
  });

  test('the asar holds dist/main, dist/renderer, dist/preload, the provider catalog and package.json', () => {
    for (const file of [
      'dist/main/desktop/main.js',
      'dist/main/core/broker.js',
      'dist/main/cli/latchkey.js',
      'dist/renderer/index.html',
      'dist/preload/index.cjs',
      'main/core/catalog/providers/github.json',
      'package.json',
    ])
      assert.ok(entries.has(file), `${file} is in the asar`);
    const manifest = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as PackageJson;
    assert.equal(manifest.main, 'dist/main/desktop/main.js');
    assert.equal(manifest.devDependencies, undefined);
    assert.equal(manifest.scripts, undefined);
  });

  test('no tests, sources or source maps in the app', () => {
    const outside = [...entries].filter((entry) => !entry.startsWith('node_modules/'));
    assert.deepEqual(
      outside.filter((entry) => entry === 'test' || entry.startsWith('test/')),
      [],
    );
    assert.deepEqual(
      outside.filter(
        (entry) => entry.startsWith('renderer/') || entry.startsWith('preload/') || entry.startsWith('main/desktop/'),
      ),
      [],
    );
    assert.deepEqual(
      outside.filter((entry) => /\.(ts|cts|tsx|map)$/.test(entry)),
      [],
    );
    assert.deepEqual(
      outside.filter((entry) => /^(tsconfig|electron-builder|package-lock)/.test(entry)),
      [],
    );
  });

  test('better-sqlite3 and keytar native modules are unpacked from the asar', () => {
    for (const file of [
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/keytar/build/Release/keytar.node',
    ]) {
      assert.equal(asar.statFile(archive, file).unpacked, true, `${file} is marked unpacked`);
      assert.ok(
        existsSync(join(unpacked, 'resources', 'app.asar.unpacked', ...file.split('/'))),
        `${file} is beside the asar`,
      );
    }
  });

  test('every production dependency, direct or not, is packed at the installed version; nothing else from node_modules is', () => {
    const installed: Tree = {
      exists: (dir) => existsSync(join(project, dir, 'package.json')),
      manifest: (dir) => readJson(join(project, dir, 'package.json')),
    };
    const packed: Tree = {
      exists: (dir) => entries.has(`${dir}/package.json`),
      manifest: (dir) => JSON.parse(asar.extractFile(archive, `${dir}/package.json`).toString('utf8')) as PackageJson,
    };
    const { visited, problems } = checkPackedDependencies(installed, packed);
    assert.deepEqual(problems, []);
    assert.ok(
      visited.has('node_modules/fastify-plugin') && visited.has('node_modules/bindings'),
      'the walk follows transitive dependencies',
    );

    const packages = [...entries]
      .filter((entry) => /^node_modules\/.*\/package\.json$/.test(entry))
      .map((entry) => entry.slice(0, -'/package.json'.length))
      // A package's own nested folders may carry a package.json (e.g. "type": "module" markers): only real package folders count.
      .filter((dir) => /(^|\/)node_modules\/(@[^/]+\/)?[^/]+$/.test(dir));
    assert.deepEqual(
      packages.filter((dir) => !visited.has(dir)),
      [],
      'nothing the app does not need, so no development dependency',
    );
    const devOnly = Object.keys(readJson(join(project, 'package.json')).devDependencies ?? {});
    assert.deepEqual(
      devOnly.filter((name) => entries.has(`node_modules/${name}/package.json`)),
      [],
    );
  });

  test('the fuses of electron-builder.yml are burnt into the Electron binary', async () => {
    const wire = await fuses.getCurrentFuseWire(join(unpacked, 'latchkey'));
    for (const [name, expected] of Object.entries(EXPECTED_FUSES)) {
      assert.equal(String.fromCharCode(wire[FUSE_INDEX[name] as number] as number), expected, name);
    }
  });
});
