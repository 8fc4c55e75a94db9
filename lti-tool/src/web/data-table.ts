import { html, type SafeHtml } from './html.js';

/** A column: its heading and what a row shows in it. */
export interface Column<R> {
  readonly header: string | SafeHtml;
  readonly cell: (row: R) => string | number | SafeHtml;
  /** The column that names the row (a row header for screen readers). */
  readonly rowHeader?: boolean;
}

/**
 * The admin pages' table: a caption for screen readers, headed columns, one row per item with
 * optional data attributes (what tests and scripts find rows by), and a line when there is none.
 */
export function dataTable<R>(o: {
  readonly caption: string;
  readonly columns: readonly Column<R>[];
  readonly rows: readonly R[];
  /** Shown across the table when there are no rows. */
  readonly empty?: string;
  readonly id?: string;
  /** Data attributes of a row's <tr> (name without "data-" → value). */
  readonly rowData?: (row: R) => Readonly<Record<string, string>>;
}): SafeHtml {
  const attrs = (row: R): SafeHtml[] =>
    Object.entries(o.rowData?.(row) ?? {}).map(([k, v]) => html` data-${k}="${v}"`);
  return html`<table ${o.id ? html`id="${o.id}"` : ''}>
    <caption class="visually-hidden">
      ${o.caption}
    </caption>
    <thead>
      <tr>
        ${o.columns.map((c) => html`<th scope="col">${c.header}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${
        o.rows.length
          ? o.rows.map(
              (r) => html`<tr${attrs(r)}>
                ${o.columns.map((c) => (c.rowHeader ? html`<th scope="row">${c.cell(r)}</th>` : html`<td>${c.cell(r)}</td>`))}
              </tr>`,
            )
          : html`<tr>
              <td colspan="${o.columns.length}">${o.empty ?? '—'}</td>
            </tr>`
      }
    </tbody>
  </table>`;
}
