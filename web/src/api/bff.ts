import { createClient, type WxauthClient } from '@wxauth/client';

/** The client itself, in a chunk of its own (see http.ts). */
export const createBff = (onUnauthorized: () => void): WxauthClient => createClient({ onUnauthorized });
