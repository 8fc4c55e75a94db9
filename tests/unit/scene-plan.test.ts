import { planScene } from '../../render-node/src/engines/preview/scene/scene-plan.js';

describe('scene plan from the prompt', () => {
  it('defaults to a medium shot on the photo as it is', () => {
    expect(planScene('')).toMatchObject({ framing: 'medium', background: { kind: 'photo' } });
    expect(planScene('A professional woman speaking clearly')).toMatchObject({
      framing: 'medium',
      background: { kind: 'photo' },
    });
  });

  it.each([
    ['Close-up of a trainer explaining safety rules', 'close'],
    ['headshot, friendly tone', 'close'],
    ['讲师特写，语气友好', 'close'],
    ['wide shot of the presenter', 'wide'],
    ['半身像，讲解产品', 'wide'],
  ])('frames %p as %p', (prompt, framing) => {
    expect(planScene(prompt).framing).toBe(framing);
  });

  it('blurs the background for a setting or when asked', () => {
    expect(planScene('speaking clearly in a modern office setting').background).toEqual({ kind: 'blur' });
    expect(planScene('背景虚化').background).toEqual({ kind: 'blur' });
    expect(planScene('在办公室里讲解').background).toEqual({ kind: 'blur' });
  });

  it('takes a colour only when said of the background', () => {
    expect(planScene('in front of a plain blue background').background).toMatchObject({
      kind: 'colour',
      name: 'blue',
    });
    expect(planScene('白色背景，正式着装').background).toMatchObject({ kind: 'colour', name: 'white' });
    expect(planScene('a woman in a red jacket').background).toEqual({ kind: 'photo' });
  });

  it('says what it applied', () => {
    expect(planScene('close-up, grey backdrop').notes).toEqual([
      'framing: close',
      'background: grey, blended behind the presenter',
    ]);
  });
});
