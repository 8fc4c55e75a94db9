import type { LineItemStore } from '../../../adapters/moodle/moodle-adapter.js';
import type { Db } from '../db/database.js';

/** Line items we made on platforms that had none for a resource link. */
export class LineItemRepository implements LineItemStore {
  constructor(private readonly db: Db) {}

  async find(platformId: string, lineitems: string, resourceLinkId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ lineitem_url: string }>(
      `SELECT lineitem_url FROM ags_line_items
       WHERE platform_id = $1 AND lineitems_url = $2 AND resource_link_id = $3`,
      [platformId, lineitems, resourceLinkId],
    );
    return rows[0]?.lineitem_url;
  }

  async save(platformId: string, lineitems: string, resourceLinkId: string, lineitem: string): Promise<void> {
    await this.db.query(
      `INSERT INTO ags_line_items (platform_id, lineitems_url, resource_link_id, lineitem_url)
       VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [platformId, lineitems, resourceLinkId, lineitem],
    );
  }

  async forget(platformId: string, lineitems: string, resourceLinkId: string): Promise<void> {
    await this.db.query(
      `DELETE FROM ags_line_items WHERE platform_id = $1 AND lineitems_url = $2 AND resource_link_id = $3`,
      [platformId, lineitems, resourceLinkId],
    );
  }
}
