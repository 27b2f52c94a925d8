import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import type { default as Provider, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { CONSENT_PAGE, OidcConsentBody, type OidcConsent } from '@wxauth/contract';
import { AppError, sessionRequired } from '../../platform/errors.js';
import { validated } from '../../platform/http/validated.js';
import type { AppRouter, AppState, Ctx } from '../../platform/http/context.js';
import { inWechat } from '../../platform/http/navigation.js';
import type { Sessions, SessionCookies } from '../session/index.js';
import { INTERACTION_PATH, OIDC_PATH } from './paths.js';

/**
 * The provider inside our Koa app: requests under /oidc go to it with the prefix taken off (as
 * Express's mount does: `originalUrl` tells it where it is mounted), on our request log and metrics.
 * It answers them itself, errors included (an OAuth error, never our 5xx).
 */
export function mountOidc(
  provider: Provider,
  deps: { sessions: Sessions; cookies: SessionCookies; asPublic: (req: IncomingMessage) => void },
): Middleware<AppState> {
  const handle = provider.callback();
  // Signing out of everything at the provider (RP-initiated logout, "logout" confirmed) signs this
  // browser out of wxauth too: else the next login would pass silently on our session.
  provider.on('end_session.success', (octx: KoaContextWithOIDC) => {
    if (octx.oidc.params?.logout) (octx.req as LoggedOut).wxauthLoggedOut = true;
  });
  return async (ctx, next) => {
    if (ctx.path !== OIDC_PATH && !ctx.path.startsWith(`${OIDC_PATH}/`)) return next();
    const req = ctx.req as LoggedOut & { originalUrl?: string };
    const url = req.url!;
    ctx.state.route = providerRoute(ctx.path);
    req.originalUrl = url;
    req.url = url.slice(OIDC_PATH.length) || '/';
    deps.asPublic(req);
    ctx.respond = false;
    try {
      await handle(req, ctx.res);
    } finally {
      req.url = url;
    }
    const held = deps.cookies.held(ctx);
    if (req.wxauthLoggedOut && held) await deps.sessions.destroy(held);
  };
}

type LoggedOut = IncomingMessage & { wxauthLoggedOut?: boolean };

/** The provider's endpoints as we configure them (provider.ts): the metrics' route labels under /oidc. */
const PROVIDER_ROUTES = new Set([
  '/.well-known/openid-configuration',
  '/auth',
  '/jwks',
  '/me',
  '/token',
  '/token/revocation',
  '/session/end',
  '/session/end/confirm',
  '/session/end/success',
]);

/** A bounded label for a path under /oidc: its endpoint, `/auth/:uid` for a resumed one, else `/oidc/*`. */
export function providerRoute(path: string): string {
  const inner = path.slice(OIDC_PATH.length) || '/';
  if (PROVIDER_ROUTES.has(inner)) return `${OIDC_PATH}${inner}`;
  if (/^\/auth\/[^/]+$/.test(inner)) return `${OIDC_PATH}/auth/:uid`;
  return `${OIDC_PATH}/*`;
}

/**
 * Our side of the provider's interactions: who is signed in is our session's business. Without a
 * bound session, the H5 app's own login (silent inside WeChat, PC login, binding) runs, with this
 * page as its returnTo; with one, the provider gets the customer id at once and the browser goes
 * back to it. First-party clients are granted what they asked without a consent page.
 */
export function oidcRoutes(
  router: AppRouter,
  deps: {
    provider: Provider;
    firstParty: Set<string>;
    sessions: Sessions;
    cookies: SessionCookies;
    asPublic: (req: IncomingMessage) => void;
    /** Demo mode: any browser walks the journey on the simulator, through the auth page. */
    demo: boolean;
  },
): void {
  const { provider, firstParty, sessions, cookies } = deps;

  type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

  /** What the client asked and was not granted yet, added to its grant (a new one for a first login). */
  const grantAsked = async (details: Details, accountId: string): Promise<string> => {
    const clientId = String(details.params.client_id);
    const grant =
      (details.grantId && (await provider.Grant.find(details.grantId))) || new provider.Grant({ accountId, clientId });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    return grant.save();
  };

  const finish = async (ctx: Ctx, result: Parameters<Provider['interactionFinished']>[2]) => {
    ctx.respond = false;
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  };

  router.get(`${INTERACTION_PATH}/:uid`, async (ctx) => {
    deps.asPublic(ctx.req);
    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      // No interaction cookie (another browser, expired, replayed): the client has to start again.
      if (err instanceof errors.SessionNotFound) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'interaction expired or not found; start again' };
        return;
      }
      throw err;
    }
    if (details.uid !== ctx.params.uid) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'interaction mismatch' };
      return;
    }
    const who = await sessions.signedIn(cookies.held(ctx));
    if (!who || 'bound' in who) {
      const returnTo = `${INTERACTION_PATH}/${details.uid}`;
      // As the site's deep links do: outside WeChat straight to the open-in-WeChat page (PC QR login),
      // loaded as a page of its own, so it gets that page's CSP (the auth page may frame nothing).
      const page = inWechat(ctx) || deps.demo ? '/auth' : '/open-in-wechat';
      ctx.redirect(`${page}?${new URLSearchParams({ returnTo })}`);
      return;
    }
    const { prompt, params } = details;
    const clientId = String(params.client_id);
    if (prompt.name === 'login' || details.session?.accountId !== who.customerId) {
      return finish(ctx, { login: { accountId: who.customerId } });
    }
    if (prompt.name === 'consent') {
      // Another company's app: the user says yes or no on the H5 app's page, which answers below.
      if (!firstParty.has(clientId))
        return ctx.redirect(`${CONSENT_PAGE}?${new URLSearchParams({ uid: details.uid })}`);
      return finish(ctx, { consent: { grantId: await grantAsked(details, who.customerId) } });
    }
    return finish(ctx, { error: 'invalid_request', error_description: `unsupported prompt ${prompt.name}` });
  });

  /**
   * The consent page's interaction: this browser's (the provider's signed interaction cookie, whose path
   * is the interaction's, covers these routes), asking consent of the customer signed in here.
   */
  const consentAsked = async (ctx: Ctx) => {
    deps.asPublic(ctx.req);
    const expired = () => new AppError(404, 'NOT_FOUND', '这次登录已过期，请回到原来的应用重新登录');
    const details = await provider.interactionDetails(ctx.req, ctx.res).catch((err: unknown) => {
      throw err instanceof errors.SessionNotFound ? expired() : err;
    });
    if (details.uid !== ctx.params.uid) throw expired();
    const who = await sessions.signedIn(cookies.held(ctx));
    if (!who || 'bound' in who) throw sessionRequired();
    if (details.prompt.name !== 'consent' || details.session?.accountId !== who.customerId) throw expired();
    return { details, customerId: who.customerId };
  };

  router.get(`${INTERACTION_PATH}/:uid/consent`, async (ctx) => {
    const { details } = await consentAsked(ctx);
    const client = await provider.Client.find(String(details.params.client_id));
    const missing = details.prompt.details as { missingOIDCScope?: string[] };
    const body: OidcConsent = {
      client: { id: String(details.params.client_id), name: client?.clientName ?? null },
      scopes: missing.missingOIDCScope ?? [],
    };
    ctx.body = body;
  });

  // A JSON POST from our own origin (sameOriginWrites, jsonBody): no other page can send it.
  router.post(
    `${INTERACTION_PATH}/:uid/consent`,
    validated({ body: OidcConsentBody }, async (ctx, { body }) => {
      const { details, customerId } = await consentAsked(ctx);
      const result = body.approve
        ? { consent: { grantId: await grantAsked(details, customerId) } }
        : { error: 'access_denied', error_description: 'the user refused' };
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
      ctx.body = { returnTo };
    }),
  );
}
