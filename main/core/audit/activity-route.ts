import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { ActivityQuery, ActivityReport } from '../../common/api/activity.js';
import { errorResponses } from '../../common/api/errors.js';
import { auditActivity } from './activity.js';

/** GET /admin/api/activity: what agents did lately, for the Activity chart and the agents' sparklines. */
export async function activityRoute(app: FastifyInstance, options: { db: Database.Database }): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/activity',
    {
      schema: {
        tags: ['audit'],
        summary:
          "Proxied calls per agent over the last hour, day or week (denials and upstream errors counted), the busiest connections and each agent's last call",
        querystring: ActivityQuery,
        response: { 200: ActivityReport, ...errorResponses },
      },
    },
    async (request) => auditActivity(options.db, request.query.range ?? 'day'),
  );
}
