import type Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../http/schemas.js';
import { ACTIVITY_RANGES, auditActivity, type ActivityRange } from './activity.js';

const counts = { calls: { type: 'integer' }, denied: { type: 'integer' }, errors: { type: 'integer' } } as const;
const countNames = ['calls', 'denied', 'errors'] as const;
const nullableString = { type: ['string', 'null'] } as const;

/** GET /admin/api/activity: what agents did lately, for the Activity chart and the agents' sparklines. */
export async function activityRoute(app: FastifyInstance, options: { db: Database.Database }): Promise<void> {
  app.get<{ Querystring: { range?: ActivityRange } }>('/activity', {
    schema: {
      tags: ['audit'],
      summary: 'Proxied calls per agent over the last hour, day or week (denials and upstream errors counted), the busiest connections and each agent\'s last call',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { range: { type: 'string', enum: Object.keys(ACTIVITY_RANGES), description: 'default day' } },
      },
      response: {
        200: {
          type: 'object',
          required: ['range', 'since', 'until', 'bucket_ms', 'buckets', 'connections', 'agents'],
          properties: {
            range: { type: 'string' },
            since: { type: 'string', format: 'date-time' },
            until: { type: 'string', format: 'date-time' },
            bucket_ms: { type: 'integer' },
            buckets: {
              type: 'array',
              items: {
                type: 'object',
                required: ['at', 'agent_id', 'agent_name', ...countNames],
                properties: { at: { type: 'string', format: 'date-time' }, agent_id: { type: 'string' }, agent_name: nullableString, ...counts },
              },
            },
            connections: {
              type: 'array',
              items: { type: 'object', required: ['connection', ...countNames], properties: { connection: { type: 'string' }, ...counts } },
            },
            agents: {
              type: 'array',
              items: {
                type: 'object',
                required: ['agent_id', 'agent_name', ...countNames, 'last_at', 'last_connection', 'last_method', 'last_path', 'last_status', 'last_decision'],
                properties: {
                  agent_id: { type: 'string' },
                  agent_name: nullableString,
                  ...counts,
                  last_at: { type: 'string', format: 'date-time' },
                  last_connection: nullableString,
                  last_method: nullableString,
                  last_path: nullableString,
                  last_status: { type: ['integer', 'null'] },
                  last_decision: { type: 'string' },
                },
              },
            },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request) => auditActivity(options.db, request.query.range ?? 'day'));
}
