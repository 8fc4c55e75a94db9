import { openDatabase, type Db } from '../../lti-tool/src/db/database.js';
import { createTestDatabase } from '../helpers/farm.js';

/** The tool's pool prepares each parameterised statement once per connection (PostgreSQL's own view). */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: Db;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = openDatabase(db.url);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const prepared = async (client: { query: Db['query'] }): Promise<string[]> =>
  (await client.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).rows.map(
    (r) => r.statement,
  );

describe('prepared statements', () => {
  it('a statement with parameters is prepared once on its connection and reused', async () => {
    const client = await pool.connect();
    try {
      for (let i = 0; i < 3; i++)
        expect((await client.query('SELECT $1::int + 1 AS n', [i])).rows[0]).toEqual({ n: i + 1 });
      expect((await prepared(client)).filter((s) => s === 'SELECT $1::int + 1 AS n')).toHaveLength(1);
    } finally {
      client.release();
    }
  });

  it('a statement without parameters (several in one text, say) runs as before, unprepared', async () => {
    const client = await pool.connect();
    try {
      await client.query('SELECT 1; SELECT 2');
      expect(await prepared(client)).not.toContain('SELECT 1; SELECT 2');
    } finally {
      client.release();
    }
  });
});
