import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import type Database from 'better-sqlite3';
import { openDatabase } from '../fixtures/database.js';
import { AuditLog, type AuditEntry } from '../../main/core/audit/audit-log.js';
import { auditAdminRoutes } from '../../main/core/audit/routes.js';
import { LatchkeyError } from '../../main/core/errors.js';

let root: string;
let db: Database.Database;
let audit: AuditLog;
let app: FastifyInstance;
const t0 = Date.parse('2030-06-01T12:00:00Z');

/** The admin scope as the broker builds it (same ajv options and error mapping as http/server.ts), minus auth. */
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'latchkey-audit-routes-'));
  db = openDatabase(join(root, 'latchkey.db'));
  let tick = 0;
  audit = new AuditLog(db, { now: () => t0 + 60_000 * tick++ });
  for (let i = 0; i < 30; i++) {
    await audit.append({
      kind: i === 29 ? 'revocation' : 'proxy',
      decision: i % 5 === 0 ? 'deny' : 'allow',
      reason: i === 3 ? '@evil, "quoted"\nline' : null,
      agent_id: i % 2 === 0 ? 'ag_a' : 'ag_b',
      connection: 'github',
      method: 'GET',
      path: `/repos/o/r?page=${i}&access_token=leak`,
      status: 200,
    });
  }
  app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.setErrorHandler((error: FastifyError | LatchkeyError, _request, reply) => {
    if (error instanceof LatchkeyError) return reply.code(error.status).send(error.toJSON());
    if (error.validation) return reply.code(400).send({ error: 'invalid_request', error_description: error.message });
    return reply.code(500).send({ error: 'internal_error', error_description: 'failed' });
  });
  await app.register(fastifySwagger, { openapi: { openapi: '3.1.0', info: { title: 't', version: '0' } } });
  await app.register(auditAdminRoutes, { audit, prefix: '/admin/api' });
  await app.ready();
});
after(async () => {
  await app.close();
  await audit.close();
  db.close();
  rmSync(root, { recursive: true, force: true });
});

const get = (url: string) => app.inject({ method: 'GET', url });

describe('GET /admin/api/audit', () => {
  test('lists newest first with every field and no query value', async () => {
    const response = await get('/admin/api/audit?limit=2');
    assert.equal(response.statusCode, 200);
    const body = response.json() as { entries: AuditEntry[]; next_cursor: string | null };
    assert.deepEqual(
      body.entries.map((e) => e.id),
      [30, 29],
    );
    assert.equal(body.next_cursor, '29');
    assert.deepEqual(body.entries[0], audit.query({ limit: 1 }).entries[0]);
    assert.equal(body.entries[0]?.path, '/repos/o/r?page=REDACTED&access_token=REDACTED');
    assert.ok(!response.body.includes('leak'));
  });

  test('filters and pages through the cursor to the end', async () => {
    const seen: number[] = [];
    let cursor: string | null = '';
    for (let page = 0; page < 10 && cursor !== null; page++) {
      const response = await get(
        `/admin/api/audit?agent=ag_a&decision=allow&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(response.statusCode, 200);
      const body = response.json() as { entries: AuditEntry[]; next_cursor: string | null };
      seen.push(...body.entries.map((e) => e.id));
      cursor = body.next_cursor;
    }
    assert.equal(cursor, null);
    // ag_a: i even; allow: i % 5 != 0 → i in 2,4,6,8,12,14,16,18,22,24,26,28 → id = i + 1
    assert.deepEqual(seen, [29, 27, 25, 23, 19, 17, 15, 13, 9, 7, 5, 3]);
  });

  test('filters by kind, connection and an ISO time range', async () => {
    const kind = (await get('/admin/api/audit?kind=revocation')).json() as { entries: AuditEntry[] };
    assert.deepEqual(
      kind.entries.map((e) => e.id),
      [30],
    );
    const since = new Date(t0 + 60_000 * 10).toISOString();
    const until = new Date(t0 + 60_000 * 12).toISOString();
    const range = (await get(`/admin/api/audit?connection=github&since=${since}&until=${until}`)).json() as {
      entries: AuditEntry[];
    };
    assert.deepEqual(
      range.entries.map((e) => e.id),
      [13, 12, 11],
    );
  });

  test('refuses bad parameters with 400 and an error code', async () => {
    for (const query of [
      'limit=0',
      'limit=501',
      'limit=ten',
      'cursor=abc',
      'decision=maybe',
      'kind=x',
      'since=yesterday',
      'unknown=1',
      'agent=',
    ]) {
      const response = await get(`/admin/api/audit?${query}`);
      assert.equal(response.statusCode, 400, query);
      assert.equal((response.json() as { error: string }).error, 'invalid_request', query);
    }
  });
});

describe('GET /admin/api/audit/export', () => {
  test('streams JSON lines as an attachment, oldest first, with filters', async () => {
    const response = await get('/admin/api/audit/export?decision=deny');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/x-ndjson');
    assert.equal(response.headers['content-disposition'], 'attachment; filename="latchkey-audit.jsonl"');
    const entries = response.body
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditEntry);
    assert.deepEqual(
      entries.map((e) => e.id),
      [1, 6, 11, 16, 21, 26],
    );
    assert.ok(!response.body.includes('leak'));
  });

  test('streams CSV, quoted and formula-safe', async () => {
    const response = await get('/admin/api/audit/export?format=csv&agent=ag_b');
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/csv/);
    assert.equal(response.headers['content-disposition'], 'attachment; filename="latchkey-audit.csv"');
    const lines = response.body.split('\r\n');
    assert.match(lines[0] as string, /^id,at,kind,decision,reason,/);
    assert.equal(lines.length, 1 + 15 + 1);
    assert.match(lines[2] as string, /^4,[^,]+,proxy,allow,"'@evil, ""quoted""\nline",ag_b,/);
  });

  test('refuses an unknown format before streaming', async () => {
    const response = await get('/admin/api/audit/export?format=xml');
    assert.equal(response.statusCode, 400);
    assert.equal((response.json() as { error: string }).error, 'invalid_request');
  });
});

describe('GET /admin/api/audit/verify', () => {
  test('reports an intact chain, then the first tampered entry', async () => {
    assert.deepEqual((await get('/admin/api/audit/verify')).json(), { ok: true, checked: 30 });
    db.prepare('UPDATE audit SET decision = ? WHERE id = 16').run('allow');
    db.prepare('UPDATE audit SET status = 201 WHERE id = 12').run();
    const { reason, ...verdict } = (await get('/admin/api/audit/verify')).json() as { reason: string };
    assert.deepEqual(verdict, { ok: false, checked: 11, first_bad: 12 });
    assert.match(reason, /^Entry #12 /, 'the answer says what is wrong');
  });

  test('the routes are described in the OpenAPI document', () => {
    const paths = Object.keys((app.swagger() as { paths: Record<string, unknown> }).paths);
    for (const path of ['/admin/api/audit', '/admin/api/audit/export', '/admin/api/audit/verify'])
      assert.ok(paths.includes(path), path);
  });
});
