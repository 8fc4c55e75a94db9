/**
 * The long script the script benchmarks speak and render: `paragraphs` steps of three sentences, a
 * heading every ten; `edited` marks one paragraph revised (a few words added to each sentence).
 */
export function longScript(paragraphs: number, edited?: number): string {
  const paragraph = (n: number, edit = ''): string =>
    `Step ${n}${edit}: check the equipment before you start the shift. ` +
    `Report anything damaged to your supervisor${edit}, number ${n}. ` +
    `Keep the walkway in area ${n} clear of pallets and cables${edit}.`;
  return Array.from(
    { length: paragraphs },
    (_, p) =>
      (p % 10 === 0 ? `# Part ${p / 10 + 1}\n\n` : '') + paragraph(p + 1, p === edited ? ', revised' : ''),
  ).join('\n\n');
}
