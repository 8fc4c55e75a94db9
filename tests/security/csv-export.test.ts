import { dashboardCsv } from '../../lti-tool/src/progress/dashboard-view.js';
import type { LearnerProgress } from '../../lti-tool/src/progress/progress-repository.js';

/**
 * Attack: formula injection through the completion CSV. A learner's name (from the LMS) such as
 * `x;=1+2;` became a formula in spreadsheets whose list separator is ";" (much of Europe, and Chinese
 * Excel set that way): only a leading "=" was neutralised.
 */
const row = (name: string): LearnerProgress => ({
  lessonId: 'l1',
  lessonTitle: 'Fire safety',
  contextId: '101',
  course: 'Warehouse safety',
  userId: 'u1',
  name,
  coverage: 0.5,
  grade: 0.5,
  state: 'in-progress',
  lastWatchedAt: new Date('2026-12-01T10:00:00Z'),
  sync: 'delivered',
  syncAttempts: 1,
});

/** The cells a spreadsheet would see, splitting each line on `separator` (quotes respected). */
function cellsAs(csv: string, separator: string): string[] {
  const cells: string[] = [];
  for (const line of csv
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n')
    .slice(1)) {
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (c === '"') quoted = !quoted;
      else if (c === separator && !quoted) {
        cells.push(cell);
        cell = '';
      } else cell += c;
    }
    cells.push(cell);
  }
  return cells;
}

describe('the completion CSV holds no formula, whatever the list separator', () => {
  const hostile = ['=1+2', 'x;=1+2;', 'a,@SUM(A1)', 'b\t+3', 'c|-4', 'd; =HYPERLINK("http://x")', '  =cmd'];
  const csv = dashboardCsv(hostile.map(row));

  for (const separator of [',', ';', '\t', '|'])
    it(`split on ${JSON.stringify(separator)}`, () => {
      for (const cell of cellsAs(csv, separator)) expect(cell.trimStart()).not.toMatch(/^[=+\-@]/);
    });

  it('keeps ordinary values as they are', () => {
    const plain = dashboardCsv([row('王小明 Wang')]);
    expect(plain).toContain(',王小明 Wang,50,in-progress,');
    expect(plain).toContain('2026-12-01T10:00:00.000Z');
  });
});
