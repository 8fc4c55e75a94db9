import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * Names for the tool's parameterised statements, so that each connection parses and plans a statement
 * once and later only binds and executes it: a third of PostgreSQL's work for the short queries a
 * launch or a heartbeat makes, and half of pg's. Texts are the code's literals, so the set is small;
 * past `MAX_NAMED` distinct texts (SQL built at run time), the rest run unnamed as before.
 */
const MAX_NAMED = 1000;
const names = new Map<string, string>();

function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (!name && names.size < MAX_NAMED) {
    name = `vt_${createHash('sha1').update(text).digest('base64url')}`;
    names.set(text, name);
  }
  return name;
}

/** A pg client that names every statement sent with parameters. */
export class PreparingClient extends pg.Client {}

// pg's overloads of query cannot be restated in a subclass; this passes every form on unchanged but one.
const query = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
PreparingClient.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const [text, values] = args;
  if (typeof text === 'string' && Array.isArray(values)) {
    const name = statementName(text);
    if (name) args[0] = { name, text };
  }
  return query.apply(this, args);
} as pg.Client['query'];
