import { RenderError } from '../../render-node/src/contract/render-errors.js';
import { parseFps, parseSize, SUPPORTED_SIZES } from '../../render-node/src/render-size.js';

describe('render sizes', () => {
  it('reads the Live Avatar sizes and their portrait turns', () => {
    expect(parseSize('688*368')).toEqual({ width: 688, height: 368, text: '688*368' });
    expect(parseSize('384*256')).toMatchObject({ width: 384, height: 256 });
    expect(parseSize('368*688')).toMatchObject({ width: 368, height: 688 });
    expect(parseSize(' 688x368 ')).toMatchObject({ width: 688, height: 368, text: '688*368' });
  });

  it('has only even dimensions, as yuv420p needs', () => {
    for (const s of SUPPORTED_SIZES) for (const d of s.split('*').map(Number)) expect(d % 2).toBe(0);
  });

  it.each(['100*100', '688', '688*', 'abc', '', '688*368*2', '-688*368'])('refuses %p', (text) => {
    expect(() => parseSize(text)).toThrow(RenderError);
    try {
      parseSize(text);
    } catch (e) {
      expect((e as RenderError).code).toBe('BAD_SIZE');
      expect((e as RenderError).message).toContain('688*368');
    }
  });

  it('takes whole frame rates from 10 to 60', () => {
    expect(parseFps('25')).toBe(25);
    expect(parseFps(30)).toBe(30);
    for (const bad of ['0', '9', '61', '24.5', 'x']) expect(() => parseFps(bad)).toThrow(/Frame rate/);
  });
});
