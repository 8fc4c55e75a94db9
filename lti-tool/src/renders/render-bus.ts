import { EventEmitter } from 'node:events';
import type { RenderProgress } from '../../../render-node/src/contract/render-job.js';
import type { RenderState } from './render-repository.js';

export type RenderUpdate =
  | { readonly type: 'progress'; readonly progress: RenderProgress }
  | { readonly type: 'state'; readonly state: RenderState; readonly message: string };

/** In-process fan-out of render updates to the browsers following them (Server-Sent Events). */
export class RenderBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(renderId: string, update: RenderUpdate): void {
    this.emitter.emit(renderId, update);
  }

  subscribe(renderId: string, listener: (u: RenderUpdate) => void): () => void {
    this.emitter.on(renderId, listener);
    return () => this.emitter.off(renderId, listener);
  }
}
