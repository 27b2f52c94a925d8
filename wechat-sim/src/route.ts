import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Rules } from './rules/index.js';

/** One request as a handler sees it: the shared rules, the request and its parsed URL. */
export interface Call {
  rules: Rules;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

export type Handler = (call: Call) => void | Promise<void>;

/** An area's handlers by `METHOD /path`; a path ending in `/*` takes any rest of the path (`/__sim/avatar/*`). */
export type Routes = Record<string, Handler>;

/** The areas' routes in one table: the handler for a method and path, if any. */
export function routeTable(...areas: Routes[]) {
  const table = new Map(areas.flatMap((routes) => Object.entries(routes)));
  return (method: string | undefined, path: string): Handler | undefined => {
    const exact = table.get(`${method} ${path}`);
    if (exact) return exact;
    // The deepest `/*` that covers the path.
    for (let at = path.lastIndexOf('/'); at >= 0; at = at > 0 ? path.lastIndexOf('/', at - 1) : -1) {
      const handler = table.get(`${method} ${path.slice(0, at + 1)}*`);
      if (handler) return handler;
    }
    return undefined;
  };
}
