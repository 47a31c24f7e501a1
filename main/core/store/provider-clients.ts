import type Database from 'better-sqlite3';

/** The OAuth client (app registration) configured per provider. The secret itself, if any, is in the vault. */
export interface ProviderClientRecord {
  provider: string;
  client_id: string;
  has_secret: boolean;
  updated_at: number;
}

interface Row {
  provider: string;
  client_id: string;
  has_secret: number;
  updated_at: number;
}

const toRecord = (row: Row): ProviderClientRecord => ({
  provider: row.provider,
  client_id: row.client_id,
  has_secret: row.has_secret !== 0,
  updated_at: row.updated_at,
});

export class ProviderClientStore {
  readonly #get: Database.Statement<[string], Row>;
  readonly #list: Database.Statement<[], Row>;
  readonly #upsert: Database.Statement<[string, string, number, number], Row>;
  readonly #delete: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#get = db.prepare<[string], Row>(
      'SELECT provider, client_id, has_secret, updated_at FROM provider_clients WHERE provider = ?',
    );
    this.#list = db.prepare<[], Row>(
      'SELECT provider, client_id, has_secret, updated_at FROM provider_clients ORDER BY provider',
    );
    this.#upsert = db.prepare<[string, string, number, number], Row>(
      `INSERT INTO provider_clients (provider, client_id, has_secret, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (provider) DO UPDATE SET client_id = excluded.client_id, has_secret = excluded.has_secret, updated_at = excluded.updated_at
       RETURNING provider, client_id, has_secret, updated_at`,
    );
    this.#delete = db.prepare<[string]>('DELETE FROM provider_clients WHERE provider = ?');
  }

  get(provider: string): ProviderClientRecord | undefined {
    const row = this.#get.get(provider);
    return row && toRecord(row);
  }

  upsert(provider: string, client_id: string, has_secret: boolean): ProviderClientRecord {
    const row = this.#upsert.get(provider, client_id, has_secret ? 1 : 0, Date.now());
    if (!row) throw new Error('upsert returned no row');
    return toRecord(row);
  }

  delete(provider: string): boolean {
    return this.#delete.run(provider).changes > 0;
  }

  list(): ProviderClientRecord[] {
    return this.#list.all().map(toRecord);
  }
}
