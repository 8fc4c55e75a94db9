import type { Express } from 'express';

/** One route of the app: its method and its path pattern (Express syntax). */
export interface RouteEntry {
  readonly method: string;
  readonly path: string;
}

interface Layer {
  readonly route?: { path: string | string[]; methods: Record<string, boolean> };
  readonly handle: { stack?: Layer[] };
  readonly rawPath?: string;
}

/**
 * Every route the app answers, read from Express's own router (so it cannot drift from the code):
 * routers mounted on a path are walked with that path in front. Apps mounted inside (ltijs, Bull
 * Board) are not routers and are left out. Tests walk it to check every endpoint's refusals; the
 * architecture page lists it by owner.
 */
export function routeTable(app: Express): RouteEntry[] {
  const out: RouteEntry[] = [];
  const walk = (stack: readonly Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths)
          for (const method of Object.keys(layer.route.methods))
            if (method !== '_all') out.push({ method: method.toUpperCase(), path: `${prefix}${path}` });
            else out.push({ method: 'ALL', path: `${prefix}${path}` });
      } else if (layer.handle?.stack) {
        const mount = layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}
