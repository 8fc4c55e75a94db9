import type { Bilingual } from '../web/i18n.js';
import type { Catalog, TextsAs } from './catalog.js';
import { en } from './en.js';
import { zh } from './zh.js';

type Node = string | ((...args: never[]) => string) | { readonly [key: string]: Node };

function pair(a: Node, b: Node): unknown {
  if (typeof a === 'string') return { en: a, zh: b as string };
  if (typeof a === 'function')
    return (...args: never[]) => ({ en: a(...args), zh: (b as (...x: never[]) => string)(...args) });
  return Object.fromEntries(Object.keys(a).map((k) => [k, pair(a[k]!, (b as Record<string, Node>)[k]!)]));
}

/**
 * The tool's texts by key (`msg.platformsAdmin.title`), each in English and Chinese. The catalogs
 * are `en.ts` and `zh.ts`; tests/unit/message-catalogs.test.ts checks they agree.
 */
export const msg = pair(en as Node, zh as Node) as TextsAs<Catalog, Bilingual>;
