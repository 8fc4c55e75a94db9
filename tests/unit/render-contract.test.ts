import {
  CONTRACT_VERSION,
  ContractError,
  parseContract,
  RenderJobSchema,
  RenderProgressSchema,
  RenderResultSchema,
} from '../../render-node/src/contract/render-job.js';

const sha = 'a'.repeat(64);
const job = () => ({
  contract: CONTRACT_VERSION,
  jobId: 'render-42',
  tenantId: 'moodle.example.org:deployment-1',
  lessonId: 'lesson-7',
  versionId: 'v3',
  engine: 'preview',
  settings: { prompt: 'A trainer in an office', size: '688*368' },
  inputs: {
    portrait: { url: 'https://tool.example/media/a?sig=x', sha256: sha, bytes: 1234 },
    audio: { url: 'https://tool.example/media/b?sig=y', sha256: sha, bytes: 99 },
  },
  outputs: {
    uploadUrl: 'https://tool.example/upload/render-42/{name}?exp=1&sig=z',
    expiresAt: '2026-11-24T20:00:00Z',
  },
});

/** A copy of `obj` with the value at a dotted path replaced (or added). */
function setPath(obj: object, path: string, value: unknown): object {
  const copy = structuredClone(obj) as Record<string, unknown>;
  const keys = path.split('.');
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys.at(-1)!] = value;
  return copy;
}

describe('render job contract', () => {
  it('accepts a job and fills the defaults', () => {
    const parsed = parseContract(RenderJobSchema, job(), 'render job');
    expect(parsed.settings).toEqual({
      chunkSec: 60,
      prompt: 'A trainer in an office',
      size: '688*368',
      fps: 25,
      sampleSteps: 4,
    });
  });

  it.each([
    ['another contract version', 'contract', 2, 'contract'],
    ['an unknown engine', 'engine', 'sora', 'engine'],
    ['a file: URL for an input', 'inputs.audio.url', 'file:///etc/passwd', 'inputs.audio.url'],
    [
      'an upload URL without {name}',
      'outputs.uploadUrl',
      'https://tool.example/upload/x',
      'outputs.uploadUrl',
    ],
    ['a malformed sha256', 'inputs.portrait.sha256', 'abc', 'inputs.portrait.sha256'],
    ['a size that is not w*h', 'settings.size', '688x368; rm -rf /', 'settings.size'],
    ['an id with a slash', 'tenantId', '../other-tenant', 'tenantId'],
    ['a field the contract does not know', 'databaseUrl', 'postgres://…', '(root)'],
    ['eight sampling steps', 'settings.sampleSteps', 8, 'settings.sampleSteps'],
    // The LoRA is distilled for exactly 4 steps: 3 only softens the picture and saves no memory.
    ['three sampling steps', 'settings.sampleSteps', 3, 'settings.sampleSteps'],
  ])('refuses %s', (_what, at, value, reported) => {
    const j = setPath(job(), at, value);
    expect(() => parseContract(RenderJobSchema, j, 'render job')).toThrow(ContractError);
    expect(() => parseContract(RenderJobSchema, j, 'render job')).toThrow(
      new RegExp(`^Invalid render job: .*${reported.replace(/[.()]/g, '\\$&')}`),
    );
  });

  it('validates progress events', () => {
    const p = {
      contract: 1,
      jobId: 'render-42',
      nodeId: 'gpu-node-1',
      stage: 'render',
      percent: 42.5,
      framesDone: 10,
      framesTotal: 24,
      etaSec: 3,
      at: '2026-11-24T19:00:00.000Z',
    };
    expect(parseContract(RenderProgressSchema, p, 'progress')).toEqual(p);
    expect(() => parseContract(RenderProgressSchema, { ...p, stage: 'dream' }, 'progress')).toThrow(/stage/);
    expect(() => parseContract(RenderProgressSchema, { ...p, percent: 140 }, 'progress')).toThrow(/percent/);
  });

  it('needs an MP4 in a result and keeps file names inside the job folder', () => {
    const file = { name: 'lesson.mp4', role: 'mp4', bytes: 10, sha256: sha, contentType: 'video/mp4' };
    const result = {
      contract: 1,
      jobId: 'render-42',
      nodeId: 'n1',
      engine: 'preview',
      durationSec: 12.5,
      files: [file],
    };
    expect(parseContract(RenderResultSchema, result, 'result').notes).toEqual([]);
    expect(() =>
      parseContract(RenderResultSchema, { ...result, files: [{ ...file, role: 'poster' }] }, 'result'),
    ).toThrow(/needs its MP4/);
    for (const name of ['../../etc/passwd', '/abs/lesson.mp4', 'hls/../../x.ts']) {
      expect(() =>
        parseContract(RenderResultSchema, { ...result, files: [{ ...file, name }] }, 'result'),
      ).toThrow(/files\.0\.name/);
    }
  });
});
