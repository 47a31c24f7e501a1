import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { DASHBOARD_CSP } from '../../common/dashboard-csp.js';
import { PAGE_CSP, resultPage } from './pages.js';

/** The built dashboard (dist/renderer) at /, under its CSP; a page saying how to build it when it is absent. */
export async function registerDashboard(app: FastifyInstance, dashboardDir: string): Promise<void> {
  if (existsSync(join(dashboardDir, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: dashboardDir,
      index: 'index.html',
      setHeaders: (reply) => {
        reply.header('content-security-policy', DASHBOARD_CSP);
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'no-referrer');
      },
    });
  } else {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/html')
        .header('content-security-policy', PAGE_CSP)
        .send(
          resultPage({
            ok: false,
            title: 'Dashboard not built',
            lines: ['Run `npm run build` to build the dashboard; the admin API works without it.'],
          }),
        ),
    );
  }
}
