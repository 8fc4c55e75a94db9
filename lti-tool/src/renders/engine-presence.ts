import { ENGINES, type EngineName } from '../../../render-node/src/contract/render-job.js';
import type { LiveRenderNode } from '../ops/render-nodes.js';
import { answerWithin } from '../../../common/within.js';

/** What an author and the API are told while no node that renders the engine is online. */
export const NO_NODE_MESSAGE: Readonly<Record<EngineName, string>> = {
  preview: 'waiting for a render node (none online)',
  liveavatar: 'waiting for a GPU render node (none online)',
};

/** Why a render does not move: no node online renders its engine. */
export interface Waiting {
  readonly reason: 'no-node';
  readonly message: string;
}

/**
 * Which engines some online render node offers (node presence, read at most every `maxAgeMs`): the
 * studio offers those, and a render queued for an engine nobody offers says it waits for one
 * instead of an empty bar.
 */
export class EnginePresence {
  private cached: { at: number; engines: Promise<ReadonlySet<EngineName>> } | undefined;

  constructor(
    private readonly nodes: () => Promise<readonly LiveRenderNode[]>,
    private readonly maxAgeMs = 2000,
    private readonly answerWithinMs = 1000,
  ) {}

  online(): Promise<ReadonlySet<EngineName>> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.maxAgeMs) {
      // Redis away: its client queues the read until it is back, and no answer may wait for that
      // (a render is acknowledged from PostgreSQL alone). Past a moment, presence is unknown.
      const engines = answerWithin(this.nodes(), this.answerWithinMs, 'render node presence').then(
        (nodes) => new Set(nodes.flatMap((n) => n.engines).filter((e) => ENGINES.includes(e))),
      );
      // Unknown: say nothing rather than something wrong, and ask again next time.
      engines.catch(() => (this.cached = undefined));
      this.cached = { at: now, engines };
    }
    return this.cached.engines.catch(() => new Set(ENGINES));
  }

  /** Whether a render in `state` for `engine` waits for a node that is not there. */
  async waiting(engine: EngineName, state: string): Promise<Waiting | undefined> {
    if (state !== 'queued' && state !== 'submitted') return undefined;
    return (await this.online()).has(engine)
      ? undefined
      : { reason: 'no-node', message: NO_NODE_MESSAGE[engine] };
  }
}
