import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSize } from '../../render-node/src/render-size.js';
import {
  FramedPortraits,
  type FramedPortrait,
} from '../../render-node/src/engines/preview/scene/framed-portraits.js';
import { planScene } from '../../render-node/src/engines/preview/scene/scene-plan.js';
import { PORTRAIT } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-framed-'));
const size = parseSize('688*368');
const scene = planScene('');
/** Entries are opaque to the memory: a marker stands for a framed portrait. */
const entry = (n: number): FramedPortrait => ({ n }) as unknown as FramedPortrait;

describe('framed portraits remembered by a render process', () => {
  it('keys a portrait by its bytes, the frame size and the framing, not by its path', async () => {
    const memory = new FramedPortraits();
    const a = join(dir, 'a.png');
    const b = join(dir, 'b.png');
    copyFileSync(PORTRAIT, a);
    copyFileSync(PORTRAIT, b);
    const key = await memory.keyOf(a, size, scene);
    expect(key).toBeDefined();
    expect(await memory.keyOf(b, size, scene)).toBe(key);
    expect(await memory.keyOf(a, parseSize('384*256'), scene)).not.toBe(key);
    expect(await memory.keyOf(a, size, planScene('a close-up'))).not.toBe(key);
    expect(await memory.keyOf(a, size, planScene('on a blurred background'))).not.toBe(key);
    // The same path with other bytes is another portrait.
    writeFileSync(b, Buffer.concat([Buffer.from('x'), Buffer.from(key!)]));
    expect(await memory.keyOf(b, size, scene)).not.toBe(key);
  });

  it('has no key for a portrait it cannot read (the checks then say why)', async () => {
    expect(await new FramedPortraits().keyOf(join(dir, 'missing.png'), size, scene)).toBeUndefined();
    expect(await new FramedPortraits().keyOf(dir, size, scene)).toBeUndefined();
  });

  it('keeps the most recently used few', () => {
    const memory = new FramedPortraits(2);
    memory.remember('one', entry(1));
    memory.remember('two', entry(2));
    expect(memory.get('one')).toEqual(entry(1)); // now the most recent
    memory.remember('three', entry(3));
    expect(memory.get('two')).toBeUndefined();
    expect(memory.get('one')).toEqual(entry(1));
    expect(memory.get('three')).toEqual(entry(3));
    expect(memory.size).toBe(2);
  });
});
