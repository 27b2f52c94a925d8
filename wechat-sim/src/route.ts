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

/** An area's handlers by `METHOD /path`; a path ending in `/*` takes any last segment (`/__sim/avatar/*`). */
export type Routes = Record<string, Handler>;

/** The areas' routes in one table: the handler for a method and path, if any. */
export function routeTable(...areas: Routes[]) {
  const table = new Map(areas.flatMap((routes) => Object.entries(routes)));
  return (method: string | undefined, path: string): Handler | undefined =>
    table.get(`${method} ${path}`) ?? table.get(`${method} ${path.slice(0, path.lastIndexOf('/') + 1)}*`);
}
