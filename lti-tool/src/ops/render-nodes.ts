import type { Redis } from 'ioredis';
import { NODE_KEY_PREFIX, type NodeIdentity } from '../../../render-node/src/contract/node-presence.js';

export interface LiveRenderNode extends NodeIdentity {
  readonly currentJobs: readonly string[];
  readonly heartbeatAt: string;
}

/** The render nodes whose heartbeat is current (their presence keys expire otherwise). */
export async function listRenderNodes(redis: Redis, prefix: string): Promise<LiveRenderNode[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:${NODE_KEY_PREFIX}*`, 'COUNT', 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (!keys.length) return [];
  const values = await redis.mget(...keys);
  return values
    .flatMap((v) => {
      try {
        return v ? [JSON.parse(v) as LiveRenderNode] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => a.nodeId.localeCompare(b.nodeId));
}
