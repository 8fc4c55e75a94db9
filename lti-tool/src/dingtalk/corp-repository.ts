import type { CorpApp } from '../../../adapters/dingtalk/dingtalk-api.js';
import type { CallbackKeys } from '../../../adapters/dingtalk/callback-crypto.js';
import { platformIdOf } from '../../../adapters/dingtalk/dingtalk-identity.js';
import type { Db } from '../db/database.js';
import type { LtiSessions } from '../lti/lti-sessions.js';

/** A DingTalk organisation connected to a tenant. The app secret never leaves the server. */
export interface Corp extends CorpApp {
  readonly tenantId: string;
  readonly name: string;
  readonly callback?: CallbackKeys;
  /** DingTalk user ids allowed to administer the bridge for this organisation. */
  readonly adminUserids: readonly string[];
  /** How its events reach the tool: Stream mode (a WebSocket the tool opens) or HTTP push. */
  readonly eventChannel: EventChannel;
}

export type EventChannel = 'stream' | 'http';

export interface NewCorp extends CorpApp {
  readonly tenantId: string;
  readonly name: string;
  readonly callbackToken?: string;
  readonly callbackAesKey?: string;
  readonly adminUserids?: readonly string[];
  /** Stream mode unless said otherwise (DingTalk's recommendation for internal apps). */
  readonly eventChannel?: EventChannel;
}

type Row = Record<string, unknown>;
const corpOf = (r: Row): Corp => ({
  corpId: r.corp_id as string,
  tenantId: r.tenant_id as string,
  name: r.name as string,
  appKey: r.app_key as string,
  appSecret: r.app_secret as string,
  agentId: r.agent_id as string,
  callback:
    r.callback_token && r.callback_aes_key
      ? {
          token: r.callback_token as string,
          aesKey: r.callback_aes_key as string,
          ownerKeys: [r.app_key as string, r.corp_id as string],
        }
      : undefined,
  adminUserids: r.admin_userids as string[],
  eventChannel: r.event_channel as EventChannel,
});

/** The DingTalk organisations the bridge serves. */
export class CorpRepository {
  constructor(
    private readonly db: Db,
    private readonly sessions: LtiSessions,
  ) {}

  /** Connects an organisation, or updates its app settings. */
  async save(c: NewCorp): Promise<void> {
    await this.db.query(
      `INSERT INTO dingtalk_corps (corp_id, tenant_id, name, app_key, app_secret, agent_id, callback_token,
         callback_aes_key, admin_userids, event_channel)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (corp_id) DO UPDATE SET tenant_id = $2, name = $3, app_key = $4, app_secret = $5,
         agent_id = $6, callback_token = $7, callback_aes_key = $8, admin_userids = $9, event_channel = $10`,
      [
        c.corpId,
        c.tenantId,
        c.name,
        c.appKey,
        c.appSecret,
        c.agentId,
        c.callbackToken ?? null,
        c.callbackAesKey ?? null,
        c.adminUserids ?? [],
        c.eventChannel ?? 'stream',
      ],
    );
  }

  async get(corpId: string): Promise<Corp | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM dingtalk_corps WHERE corp_id = $1', [corpId]);
    return rows[0] && corpOf(rows[0]);
  }

  async list(): Promise<Corp[]> {
    const { rows } = await this.db.query<Row>('SELECT * FROM dingtalk_corps ORDER BY name');
    return rows.map(corpOf);
  }

  /**
   * The organisations whose directory is due for a comparison (none in the last `everyHours`),
   * claimed for this instance: another instance asking now gets none of them.
   */
  async claimReconciliation(everyHours: number): Promise<Corp[]> {
    const { rows } = await this.db.query<Row>(
      `UPDATE dingtalk_corps SET reconciled_at = now()
       WHERE reconciled_at < now() - make_interval(secs => $1)
       RETURNING *`,
      [everyHours * 3600],
    );
    return rows.map(corpOf);
  }

  /** Disconnects an organisation: its people's sessions end with it. */
  async remove(corpId: string): Promise<void> {
    await this.sessions.end(platformIdOf(corpId));
    await this.db.query('DELETE FROM dingtalk_corps WHERE corp_id = $1', [corpId]);
  }
}
