import type { ParameterizedContext } from 'koa';
import type { Logger } from 'pino';
import type { Session } from '../services/sessions.js';

export interface AppState {
  log: Logger;
  requestId: string;
  session?: Session;
  /** The raw JSON body text, for checks JSON.parse cannot make (a key sent twice). */
  rawBody?: string;
  body?: Record<string, unknown>;
}

export type Ctx = ParameterizedContext<AppState>;
