// Native modules hold one ABI at a time: `npm start` rebuilds them for Electron. Before the
// tests (plain Node) rebuild them for Node when they no longer load, and only then.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const stale = [];
for (const name of ['better-sqlite3', 'keytar']) {
  try {
    const mod = require(name);
    if (name === 'better-sqlite3') new mod(':memory:').close();
  } catch (error) {
    // Any other failure (not built, libsecret missing) is the doctor's to explain, with its fix, right after this.
    if (
      /NODE_MODULE_VERSION|was compiled against a different Node\.js version|invalid ELF header/.test(
        String(error?.message),
      )
    )
      stale.push(name);
  }
}
if (stale.length > 0) {
  console.log(`Rebuilding ${stale.join(', ')} for Node ${process.versions.node} (they were built for another runtime)`);
  execFileSync('npm', ['rebuild', ...stale], { stdio: 'inherit' });
}
