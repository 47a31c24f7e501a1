/**
 * `node --import ./test/desktop/electron-stand-in-loader.mjs dist/main/desktop/main.js` runs the
 * desktop shell with `import … from 'electron'` resolved to test/desktop/electron-stand-in/.
 */
import { register } from 'node:module';

register('./electron-stand-in/hooks.mjs', import.meta.url);
