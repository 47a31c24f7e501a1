import type { FastifyInstance } from 'fastify';
import { LatchkeyError } from '../errors.js';
import { PAGE_CSP, resultPage } from '../http/pages.js';
import type { ConnectionService } from './service.js';

export interface CallbackRouteOptions {
  service: Pick<ConnectionService, 'completeBrowser'>;
}

/** GET /oauth/callback: where the provider sends the person's browser back; answers a small page saying how it went. */
export async function oauthCallbackRoute(app: FastifyInstance, options: CallbackRouteOptions): Promise<void> {
  app.get('/oauth/callback', { schema: { hide: true } }, async (request, reply) => {
    const params = new URLSearchParams(request.url.split('?')[1] ?? '');
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer');
    try {
      const connection = await options.service.completeBrowser(params);
      return reply.send(
        resultPage({
          ok: true,
          title: `Connected to ${connection.provider}`,
          lines: [
            `${connection.account ?? 'Your account'} is connected as "${connection.name}".`,
            'You can close this tab.',
          ],
        }),
      );
    } catch (error) {
      // Handled: the person sees what failed on the page (the flow already carries it for the dashboard);
      // an unexpected failure is logged, since its page says only that it failed.
      if (!(error instanceof LatchkeyError) || error.status >= 500)
        request.log.error({ err: error }, 'OAuth callback failed');
      const failure =
        error instanceof LatchkeyError
          ? error
          : new LatchkeyError('connect_failed', 'The connection could not be completed.', 500);
      const providerError =
        typeof failure.details.provider_error === 'string'
          ? `Provider error: ${failure.details.provider_error}`
          : undefined;
      return reply.code(failure.status >= 500 ? 502 : 400).send(
        resultPage({
          ok: false,
          title: 'Connection failed',
          lines: [
            failure.message,
            ...(providerError ? [providerError] : []),
            'Close this tab and try again from Latchkey.',
          ],
        }),
      );
    }
  });
}
