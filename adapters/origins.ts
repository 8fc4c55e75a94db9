/**
 * Origins compared as parsed URLs (scheme, host, port; default ports folded), never as string
 * prefixes: "https://moodle.school.edu.attacker.net" does not start the origin "https://moodle.school.edu".
 */
export function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

export const sameOrigin = (a: string, b: string): boolean => {
  const o = originOf(a);
  return o !== undefined && o === originOf(b);
};
