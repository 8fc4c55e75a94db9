/** Text made safe for HTML element content and quoted attribute values. */
export const escapeHtml = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Raw HTML that `html` inserts as it is (already escaped or built by `html`). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A template tag that escapes every interpolated value unless it is SafeHtml (or a list of them). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const part = (x: unknown): string => (x instanceof SafeHtml ? x.value : escapeHtml(x));
    out += (Array.isArray(v) ? v.map(part).join('') : part(v)) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}
