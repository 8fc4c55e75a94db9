import type { ToolConfig } from '../config.js';

/**
 * A start that cannot go on, said as what to do about it (instead of a stack trace): the database
 * missing or unreachable. Undefined for anything else, which is then reported as it is.
 */
export function startupProblem(e: unknown, config: ToolConfig): string | undefined {
  const code = (e as { code?: string }).code;
  const url = new URL(config.VT_DATABASE_URL);
  const name = decodeURIComponent(url.pathname.slice(1));
  const where = `${url.hostname}:${url.port || 5432}`;
  const user = decodeURIComponent(url.username) || 'postgres';
  if (code === '3D000')
    return (
      `The database "${name}" does not exist on ${where}. Create it, e.g.\n` +
      `  createdb -h ${url.hostname} -p ${url.port || 5432} -U ${user} ${name}\n` +
      'or point VT_DATABASE_URL at another one; the tool makes its tables itself on start.'
    );
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `PostgreSQL does not answer at ${where} (${code}). Start it, or set VT_DATABASE_URL to where it runs.`;
  if (code === '28P01' || code === '28000')
    return `PostgreSQL refused user "${user}" at ${where}: check the user and password in VT_DATABASE_URL.`;
  return undefined;
}
