import { ERROR_CODES, type ErrorCode } from '@wxauth/contract';
import * as v from 'valibot';
import { AppError, badRequest } from '../errors.js';
import type { Ctx } from './context.js';

interface Schemas {
  body?: v.GenericSchema;
  query?: v.GenericSchema;
  params?: v.GenericSchema;
}

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

type Output<S> = S extends v.GenericSchema ? v.InferOutput<S> : undefined;

/** What a handler receives: the body and query as their schemas parsed them. */
export interface Input<S extends Schemas> {
  body: Output<S['body']>;
  query: Output<S['query']>;
  params: Output<S['params']>;
}

function parse(schema: v.GenericSchema | undefined, value: unknown, inPath = false): unknown {
  if (!schema) return undefined;
  const result = v.safeParse(schema, value, { abortEarly: true });
  // A path that names nothing of ours is not found, whatever the rule that refused it.
  if (!result.success && inPath) throw new AppError(404, 'NOT_FOUND');
  // The contract's schemas speak in error codes: the first rule that fails is the answer.
  if (!result.success)
    throw badRequest(CODES.has(result.issues[0].message) ? (result.issues[0].message as ErrorCode) : 'BAD_REQUEST');
  return result.output;
}

/**
 * Every route's input, checked against the contract's schemas before the handler runs. The handler
 * gets only what the schemas let through, typed by them.
 */
export function validated<S extends Schemas>(
  schemas: S,
  handler: (ctx: Ctx, input: Input<S>) => Promise<void> | void,
): (ctx: Ctx) => Promise<void> {
  return async (ctx) => {
    // ctx.query parses the query string: only for a route that has a schema for it.
    const input = {
      params: parse(schemas.params, (ctx as { params?: unknown }).params ?? {}, true),
      query: schemas.query && parse(schemas.query, ctx.query),
      body: parse(schemas.body, ctx.state.body ?? {}),
    };
    await handler(ctx, input as Input<S>);
  };
}
