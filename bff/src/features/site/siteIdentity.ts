import { maskPhone } from '@wxauth/contract';
import { AppError, sessionRequired } from '../../platform/errors.js';
import type { SessionKind, Sessions } from '../session/index.js';
import type { Tokens } from './tokens.js';

/** What a protected location asks: any signed-in WeChat user, or only one bound to a customer. */
export type Requirement = 'session' | 'bound';

/**
 * The response headers the site's own services receive from nginx (auth_request), oauth2-proxy's
 * names: X-Auth-Request-User is the customer id. The full phone is for those services only (nginx
 * passes it upstream and never to the browser): it is how a host system finds its own account.
 */
export type IdentityHeaders = Record<string, string>;

/** The session a request holds: its id, and whether a browser's cookie or a mini program's bearer token held it. */
export interface Held {
  id: string | undefined;
  kind: SessionKind;
}

/** Who is signed in, for the site's other services: forward-auth for nginx, and identity tokens. */
export function createSiteIdentity(deps: { sessions: Sessions; tokens: Tokens | null }) {
  const { sessions } = deps;
  return {
    /** The identity headers, or undefined when the location's requirement is not met (a 401). */
    async check(held: Held, require: Requirement): Promise<IdentityHeaders | undefined> {
      const who = await sessions.signedIn(held.id, held.kind);
      if (!who) return undefined;
      if ('bound' in who) {
        if (require === 'bound') return undefined;
        const { appid, openid, unionid } = who.identity;
        return {
          'X-Auth-Request-Bound': 'false',
          'X-Auth-Request-Appid': appid,
          'X-Auth-Request-Openid': openid,
          ...(unionid && { 'X-Auth-Request-Unionid': unionid }),
        };
      }
      return {
        'X-Auth-Request-User': who.customerId,
        'X-Auth-Request-Bound': 'true',
        'X-Auth-Request-Appid': who.appid,
        'X-Auth-Request-Openid': who.openid,
        ...(who.unionid && { 'X-Auth-Request-Unionid': who.unionid }),
        ...(who.phone && {
          'X-Auth-Request-Phone': who.phone,
          'X-Auth-Request-Phone-Masked': maskPhone(who.phone),
        }),
      };
    },

    /** A short-lived identity token for a bound user (services on other hosts verify it by the JWKS). */
    async token(held: Held) {
      if (!deps.tokens) throw new AppError(404, 'NOT_FOUND', '未配置 JWT_KEYS_FILE，不签发身份令牌');
      const who = await sessions.signedIn(held.id, held.kind);
      if (!who) throw sessionRequired();
      if ('bound' in who) throw new AppError(409, 'NOT_BOUND');
      return deps.tokens.issue(who);
    },

    jwks() {
      if (!deps.tokens) throw new AppError(404, 'NOT_FOUND', '未配置 JWT_KEYS_FILE，不签发身份令牌');
      return deps.tokens.jwks;
    },
  };
}

export type SiteIdentity = ReturnType<typeof createSiteIdentity>;
