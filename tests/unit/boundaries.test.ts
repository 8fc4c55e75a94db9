import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../common/env.js';

/**
 * The house plan's boundaries, checked on the source: the web tool knows the render node only by
 * its contract (and the composition root hands in its media code through interfaces), and the render
 * node never reaches into the tool or the database.
 */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}
const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map((m) => m[1]!);

describe('boundaries', () => {
  it('the tool imports the render node only from its contract (server.ts wires the rest in)', () => {
    const crossings = sources(join(REPO_ROOT, 'lti-tool/src')).flatMap((file) =>
      importsOf(file)
        .filter((i) => i.includes('render-node/src/') && !i.includes('render-node/src/contract/'))
        .map((i) => `${relative(REPO_ROOT, file)} → ${i}`),
    );
    expect(crossings.filter((c) => !c.startsWith('lti-tool/src/server.ts'))).toEqual([]);
  });

  it('the render node imports nothing of the tool, and no database client', () => {
    const crossings = sources(join(REPO_ROOT, 'render-node/src')).flatMap((file) =>
      importsOf(file)
        .filter((i) => i.includes('lti-tool/') || i === 'pg' || i.startsWith('pg-'))
        .map((i) => `${relative(REPO_ROOT, file)} → ${i}`),
    );
    expect(crossings).toEqual([]);
  });
});
