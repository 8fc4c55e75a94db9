import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Moodle's HTTP security settings (Site administration → General → Security → HTTP security), as
 * its cURL wrapper applies them to every request Moodle makes (core\files\curl_security_helper): a
 * URL whose host is blocked (a name, an address or a CIDR range; names are also resolved and every
 * address checked), or whose port is not in the allowed list, is never fetched.
 */
export interface MoodleHttpSecurity {
  /** "cURL blocked hosts list". */
  readonly blockedHosts: readonly string[];
  /** "cURL allowed ports list"; empty allows every port. */
  readonly allowedPorts: readonly number[];
}

/** Moodle's defaults (admin/settings/security.php): private ranges blocked, web ports only. */
export const MOODLE_DEFAULT_HTTP_SECURITY: MoodleHttpSecurity = {
  blockedHosts: [
    '127.0.0.0/8',
    '192.168.0.0/16',
    '10.0.0.0/8',
    '172.16.0.0/12',
    '0.0.0.0',
    'localhost',
    '169.254.169.254',
    '0000::1',
  ],
  allowedPorts: [443, 80],
};

const portOf = (u: URL): number => (u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80);

function hostMatches(entry: string, host: string, addresses: readonly string[]): boolean {
  const e = entry.trim().toLowerCase();
  if (!e) return false;
  if (e.includes('/')) {
    const range = ipaddr.parseCIDR(e);
    return addresses.some((a) => {
      const ip = ipaddr.process(a);
      return ip.kind() === range[0].kind() && ip.match(range);
    });
  }
  if (ipaddr.isValid(e))
    return addresses.some((a) => ipaddr.process(a).toString() === ipaddr.process(e).toString());
  // A domain name, "*.example.com" for its subdomains.
  return e.startsWith('*.') ? host.endsWith(e.slice(1)) : host === e;
}

/** Why Moodle would not fetch `url` under `s`, or undefined when it would. */
export async function moodleBlocks(
  s: MoodleHttpSecurity | undefined,
  url: string,
): Promise<string | undefined> {
  if (!s) return undefined;
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const addresses = ipaddr.isValid(host)
    ? [host]
    : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (s.blockedHosts.some((entry) => hostMatches(entry, host, addresses)))
    return `the host ${host} is in the cURL blocked hosts list`;
  if (s.allowedPorts.length && !s.allowedPorts.includes(portOf(u)))
    return `the port ${portOf(u)} is not in the cURL allowed ports list`;
  return undefined;
}
