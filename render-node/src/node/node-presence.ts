import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { NODE_KEY_PREFIX, type NodeIdentity } from '../contract/node-presence.js';

export { NODE_KEY_PREFIX, type NodeIdentity };

const HEARTBEAT_MS = 5000;
const TTL_SEC = 15;

export const newNodeId = (): string =>
  `${hostname().replace(/[^\w.-]/g, '-')}-${randomBytes(3).toString('hex')}`;

/**
 * Announces the node in Redis (a key that expires unless refreshed every few seconds): the tool's
 * admin view lists live nodes, what they can render and what they are rendering now.
 */
export class NodePresence {
  private timer: NodeJS.Timeout | undefined;
  private readonly current = new Set<string>();

  constructor(
    private readonly redis: Redis,
    readonly identity: NodeIdentity,
    private readonly prefix = '',
  ) {}

  get key(): string {
    return `${this.prefix}${NODE_KEY_PREFIX}${this.identity.nodeId}`;
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => {}), HEARTBEAT_MS);
  }

  get currentJobs(): string[] {
    return [...this.current];
  }

  jobStarted(jobId: string): void {
    this.current.add(jobId);
    void this.beat().catch(() => {});
  }

  jobEnded(jobId: string): void {
    this.current.delete(jobId);
    void this.beat().catch(() => {});
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.del(this.key);
  }

  private async beat(): Promise<void> {
    const state = { ...this.identity, currentJobs: [...this.current], heartbeatAt: new Date().toISOString() };
    await this.redis.set(this.key, JSON.stringify(state), 'EX', TTL_SEC);
  }
}
