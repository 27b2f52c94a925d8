export function verifyWxauthSignature(secret: string, header: unknown, rawBody: string, nowMs?: number): boolean;
