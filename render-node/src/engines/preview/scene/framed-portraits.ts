import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FrameSize } from '../../../render-size.js';
import type { FaceAnalysis } from '../face/face-detector.js';
import type { FaceRig } from '../render/face-rig.js';
import type { YuvFrame } from '../render/yuv.js';
import type { BaseFrame } from './compose-base.js';
import type { ScenePlan } from './scene-plan.js';

/** A portrait as a render needs it before its first frame: checked, its face found, framed, rigged. */
export interface FramedPortrait {
  readonly analysis: FaceAnalysis;
  readonly base: BaseFrame;
  readonly yuv: YuvFrame;
  readonly rig: FaceRig;
}

/** A course has a few presenters; a portrait framed at 688×368 holds about 3 MB, at 1280×720 about 12. */
const REMEMBERED = 4;

/**
 * Portraits framed lately in this process, by their bytes, the frame size and the framing. A render
 * node (or the tool's answer clips) renders the same presenter lesson after lesson: the checks, the
 * face detection and the framing are a pure function of these, so they are done once. Nothing in an
 * entry is written to after it is stored (the frame renderer copies the base it draws on).
 */
export class FramedPortraits {
  private readonly recent = new Map<string, FramedPortrait>();

  constructor(private readonly capacity = REMEMBERED) {}

  /** The key of a portrait's bytes for a size and scene, or undefined when it cannot be read (the checks say why). */
  async keyOf(imagePath: string, size: FrameSize, scene: ScenePlan): Promise<string | undefined> {
    const hash = createHash('sha256');
    try {
      for await (const chunk of createReadStream(imagePath)) hash.update(chunk as Buffer);
    } catch {
      return undefined;
    }
    const digest = hash.digest('hex');
    const framing = JSON.stringify([size.width, size.height, scene.framing, scene.background]);
    return `${digest} ${framing}`;
  }

  get(key: string): FramedPortrait | undefined {
    const hit = this.recent.get(key);
    if (hit) {
      this.recent.delete(key); // most recent last
      this.recent.set(key, hit);
    }
    return hit;
  }

  remember(key: string, portrait: FramedPortrait): void {
    this.recent.delete(key);
    this.recent.set(key, portrait);
    while (this.recent.size > this.capacity) this.recent.delete(this.recent.keys().next().value!);
  }

  get size(): number {
    return this.recent.size;
  }
}

/** This process's: render after render, in a render node or in the tool's answer clips. */
export const framedPortraits = new FramedPortraits();
