import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { DASHBOARD_META_CSP } from '../main/common/dashboard-csp.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/renderer', import.meta.url));

/**
 * The dashboard runs under `script-src 'self'; style-src 'self'` (no 'unsafe-inline'),
 * so the built HTML must not carry inline scripts, inline styles or event-handler attributes.
 * Fail the build rather than ship a page the CSP would break.
 */
function noInlineCode(): Plugin {
  return {
    name: 'latchkey:no-inline-code',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const inlineScript = /<script\b(?![^>]*\bsrc=)[^>]*>/i.exec(html);
        const inlineStyle = /<style\b|\sstyle=|\son[a-z]+=/i.exec(html);
        const found = inlineScript?.[0] ?? inlineStyle?.[0];
        if (found) throw new Error(`inline code in index.html would violate the CSP: ${found}`);
        return html;
      },
    },
  };
}

/** The dashboard's one CSP (main/common/dashboard-csp.ts) into index.html's meta tag. */
function dashboardCsp(): Plugin {
  return {
    name: 'latchkey:dashboard-csp',
    transformIndexHtml: { order: 'pre', handler: (html) => html.replace('%DASHBOARD_CSP%', DASHBOARD_META_CSP) },
  };
}

/** In dev (`vite --config renderer/vite.config.ts`), the meta CSP would block Vite's HMR client: drop it there only. */
function devWithoutMetaCsp(): Plugin {
  return {
    name: 'latchkey:dev-without-meta-csp',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace(/<meta\s+http-equiv="Content-Security-Policy"[^>]*>/i, ''),
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [react(), dashboardCsp(), noInlineCode(), devWithoutMetaCsp()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The polyfill is only for browsers without <link rel=modulepreload>; Chromium has it.
    modulePreload: { polyfill: false },
    // Nothing is inlined as data: URIs except what img-src allows (images); keep it small anyway.
    assetsInlineLimit: 0,
  },
  server: {
    host: '127.0.0.1',
    // Dev only: forward the admin API to a running broker (`latchkey serve`, default port 7317).
    proxy: { '/admin/api': 'http://127.0.0.1:7317' },
  },
});
