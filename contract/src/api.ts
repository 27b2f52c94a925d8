import * as v from 'valibot';
import type { ErrorCode } from './errors.js';
import { UNBOUND_PAGES } from './pages.js';
import { normalizePhone, SMS_CODE } from './phone.js';

/**
 * The BFF's HTTP contract: a schema for every request body and query the BFF reads, and for every
 * answer it gives. A schema's messages are error codes: the BFF answers the first one that fails.
 */

/** The scopes of WeChat's web authorization inside WeChat. */
export const SCOPES = ['snsapi_base', 'snsapi_userinfo'] as const;
export type Scope = (typeof SCOPES)[number];

/** Our own state for WeChat: 32 of [A-Za-z0-9] (WeChat allows up to 128 of them). */
export const STATE_PATTERN = /^[A-Za-z0-9]{32}$/;
const CODE_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

const code = (c: ErrorCode) => c;
/** A query value given at most once; a repeated one counts as malformed. */
const single = (error: ErrorCode) => v.optional(v.string(code(error)));

export const AuthorizeQuery = v.object({
  scope: v.optional(v.picklist(SCOPES, code('SCOPE_INVALID')), 'snsapi_base'),
  platform: v.optional(v.picklist(['mp', 'website'], code('PLATFORM_INVALID')), 'mp'),
  returnTo: v.optional(v.unknown()),
  /**
   * The state of a flow the user refused at WeChat: the new one asks the same (scope, returnTo), as
   * only the BFF knows when the flow began at a deep link rather than on the /auth page.
   */
  again: v.optional(v.pipe(v.string(code('STATE_INVALID')), v.regex(STATE_PATTERN, code('STATE_INVALID')))),
});

export const QrLoginQuery = v.object({ returnTo: v.optional(v.unknown()) });

/** A body field: a missing one fails with `missing` (not valibot's own message), a wrong one with `invalid`. */
const field = (missing: ErrorCode, invalid: ErrorCode, pattern: RegExp) =>
  v.pipe(
    // A default, so that a missing key still runs the checks below.
    v.optional(v.unknown(), ''),
    v.check((value) => value !== '', missing),
    v.string(invalid),
    v.regex(pattern, invalid),
  );

export const LoginBody = v.object({
  state: field('STATE_INVALID', 'STATE_INVALID', STATE_PATTERN),
  code: field('CODE_MISSING', 'CODE_INVALID', CODE_PATTERN),
});

/** A mini program's `wx.login` code (`POST /api/mp/login`). */
export const MpLoginBody = v.object({ code: field('CODE_MISSING', 'CODE_INVALID', CODE_PATTERN) });

/** A getPhoneNumber button's code (`POST /api/mp/phone`): not the wx.login one. */
export const MpPhoneBody = v.object({ code: field('PHONE_CODE_INVALID', 'PHONE_CODE_INVALID', CODE_PATTERN) });

const Phone = v.pipe(v.optional(v.unknown(), ''), v.transform(normalizePhone), v.string(code('PHONE_INVALID')));

export const SmsSendBody = v.object({ phone: Phone });

export const BindBody = v.object({
  phone: Phone,
  smsCode: field('SMS_CODE_INVALID', 'SMS_CODE_INVALID', SMS_CODE),
});

/** How a WeChat user proves which customer they are: an SMS code to the phone, or the host's account and password. */
export const BIND_METHODS = ['sms', 'password'] as const;
export type BindMethod = (typeof BIND_METHODS)[number];

/** The account name the host system signs its customers in with (a user name, an e-mail, a phone). */
/** No control or invisible format characters (zero-width spaces and the like), no blank at either end. */
export const ACCOUNT_PATTERN = /^[^\s\p{Cc}\p{Cf}][^\p{Cc}\p{Cf}]{0,62}[^\s\p{Cc}\p{Cf}]$|^[^\s\p{Cc}\p{Cf}]$/u;

/** 账号密码登录: checked by the host system, never stored or logged here. */
export const BindPasswordBody = v.object({
  account: v.pipe(
    v.optional(v.unknown(), ''),
    v.transform((value) => (typeof value === 'string' ? value.trim() : value)),
    v.check((value) => value !== '', code('ACCOUNT_INVALID')),
    v.string(code('ACCOUNT_INVALID')),
    v.regex(ACCOUNT_PATTERN, code('ACCOUNT_INVALID')),
  ),
  password: v.pipe(
    v.optional(v.unknown(), ''),
    v.check((value) => value !== '', code('PASSWORD_REQUIRED')),
    v.string(code('PASSWORD_REQUIRED')),
    v.maxLength(256, code('PASSWORD_REQUIRED')),
  ),
});

/** A customer id the host gives: 1 to 64 of letters, digits and `. _ : -` (a number is taken as text). */
export const CUSTOMER_REF = /^[A-Za-z0-9._:-]{1,64}$/;

/** What the host system's events may tell us. */
export const HOST_EVENT_TYPES = ['customer.password_changed', 'customer.revoke_wechat'] as const;

/** A host's reference in an event, its own id included: the shape of a customer id. */
const HostRef = v.pipe(v.string(code('EVENT_INVALID')), v.regex(CUSTOMER_REF, code('EVENT_INVALID')));

/**
 * The host system's event to `POST /internal/events` (signed, as the BFF's calls to it are). Every
 * failure, a missing key too, is EVENT_INVALID; keys beyond these are ignored.
 */
export const HostEvent = v.object(
  {
    id: HostRef,
    type: v.picklist(HOST_EVENT_TYPES, code('EVENT_INVALID')),
    data: v.object({ customerId: HostRef }, code('EVENT_INVALID')),
  },
  code('EVENT_INVALID'),
);
export type HostEvent = v.InferOutput<typeof HostEvent>;

export const JssdkQuery = v.object({ url: single('URL_INVALID') });
export const SmsInboxQuery = v.object({ phone: Phone });

export const LoginResult = v.object({ next: v.picklist(['home', 'bind']), returnTo: v.string() });
export type LoginResult = v.InferOutput<typeof LoginResult>;

/**
 * A mini program's login (`POST /api/mp/login`) and its binding by WeChat's phone (`POST /api/mp/phone`):
 * where to go, and the token to send from now on as `Authorization: Bearer <token>`. No `returnTo`, unlike
 * LoginResult: that is the page a browser left for WeChat's authorize page, kept by the BFF to send it
 * back; `wx.login` never leaves the mini program's page, which knows where it is (a bearer session's
 * returnTo is always "/", the H5 app's home and no page of the mini program's).
 */
export const MpSignedIn = v.object({ next: v.picklist(['home', 'bind']), token: v.string() });
export type MpSignedIn = v.InferOutput<typeof MpSignedIn>;

/** After a binding: `next` is "home" (a bound user has nothing left to do). */
export const BindResult = LoginResult;
export type BindResult = LoginResult;

export const SessionInfo = v.object({
  bound: v.boolean(),
  /** WeChat gave this identity a unionid: the person's other apps (the PC website app) know it too. */
  unionid: v.boolean(),
  user: v.object({
    /** Masked: 138****8000; null for a customer bound by account and password. */
    phone: v.nullable(v.string()),
    /** The host system's name for the customer, when its directory gives one. */
    displayName: v.nullable(v.string()),
    nickname: v.nullable(v.string()),
    avatar: v.nullable(v.string()),
  }),
});
export type SessionInfo = v.InferOutput<typeof SessionInfo>;

export const SmsSent = v.object({ cooldownSeconds: v.number() });
export type SmsSent = v.InferOutput<typeof SmsSent>;

export const QrLogin = v.object({
  appid: v.string(),
  state: v.string(),
  redirect_uri: v.string(),
  scope: v.literal('snsapi_login'),
  self_redirect: v.boolean(),
  id: v.string(),
  style: v.string(),
  href: v.string(),
  /** What wxLogin.js would put in its iframe. */
  src: v.string(),
});
export type QrLogin = v.InferOutput<typeof QrLogin>;

export const JssdkConfig = v.object({
  appId: v.string(),
  timestamp: v.number(),
  nonceStr: v.string(),
  signature: v.string(),
});
export type JssdkConfig = v.InferOutput<typeof JssdkConfig>;

/** What a location protected by forward-auth asks for: any signed-in WeChat user, or a bound one. */
export const ForwardAuthParams = v.object({ require: v.picklist(['session', 'bound'], code('NOT_FOUND')) });

export const IdentityToken = v.object({ token: v.string(), tokenType: v.literal('Bearer'), expiresIn: v.number() });
export type IdentityToken = v.InferOutput<typeof IdentityToken>;

/** What the H5 app needs to know before it can choose a path (`GET /api/meta`). */
export const Meta = v.object({
  demo: v.boolean(),
  websiteLogin: v.boolean(),
  /** A desktop can log in by scanning the Official Account's QR code (FOLLOW_LOGIN). */
  followLogin: v.optional(v.boolean()),
  unionidBeforeBind: v.boolean(),
  /** The ways the bind page offers, in order: the first is the tab that opens. */
  bindMethods: v.array(v.picklist(BIND_METHODS)),
  simulator: v.optional(v.string()),
  /** Where to load WeChat's JS-SDK (jweixin) from: WeChat's address, or the simulator's stand-in. */
  jweixin: v.optional(v.string()),
});
export type Meta = v.InferOutput<typeof Meta>;

/** The H5 app's consent page for an OpenID Connect client that is not first-party (outside /oidc/, nginx's). */
export const CONSENT_PAGE = '/authorize-app';

/** What the consent page shows: the client asking, and the scopes it asks for that the user has not granted it. */
export const OidcConsent = v.object({
  client: v.object({ id: v.string(), name: v.nullable(v.string()) }),
  scopes: v.array(v.string()),
});
export type OidcConsent = v.InferOutput<typeof OidcConsent>;

/** The user's answer: 同意 (true) or 拒绝 (false). */
export const OidcConsentBody = v.object({ approve: v.boolean(code('BAD_REQUEST')) });

/** Where the browser goes next: back to the provider, which sends it on to the client. */
export const OidcConsentResult = v.object({ returnTo: v.string() });
export type OidcConsentResult = v.InferOutput<typeof OidcConsentResult>;

/**
 * Login through the Official Account: the desktop shows the account's QR code, the user scans it in
 * WeChat (and follows), confirms on the phone, and the desktop is signed in.
 */
export const FOLLOW_STATES = ['waiting', 'scanned', 'confirmed', 'cancelled', 'expired'] as const;
export type FollowState = (typeof FOLLOW_STATES)[number];

/** The phone's confirm page, linked from the account's reply in the user's chat. */
export const FOLLOW_CONFIRM_PAGE = UNBOUND_PAGES[0];

/** A waiting login's public id: in the confirm link, never enough to act for the desktop. */
export const FOLLOW_LOGIN_ID = /^[0-9a-f]{32}$/;

export const FollowQrBody = v.object({ returnTo: v.optional(v.unknown()) });

/** The desktop's QR: the image (WeChat's showqrcode) and how long it lives. */
export const FollowQr = v.object({
  qr: v.string(),
  expiresIn: v.number(),
  /** Demo mode: the address the code encodes, a page of the simulator that scans as its WeChat user. */
  demoScan: v.optional(v.string()),
});
export type FollowQr = v.InferOutput<typeof FollowQr>;

export const FollowStatus = v.object({ state: v.picklist(FOLLOW_STATES) });
export type FollowStatus = v.InferOutput<typeof FollowStatus>;

const followLogin = v.pipe(
  v.optional(v.unknown(), ''),
  v.string(code('FOLLOW_LOGIN_EXPIRED')),
  v.regex(FOLLOW_LOGIN_ID, code('FOLLOW_LOGIN_EXPIRED')),
);
export const FollowLoginQuery = v.object({ login: followLogin });
export const FollowAnswerBody = v.object({ login: followLogin });

/** What the phone's confirm page shows of the desktop that waits. */
export const FollowLoginInfo = v.object({
  site: v.string(),
  desktop: v.object({ browser: v.string(), os: v.string() }),
  /** When the desktop asked for the QR (ms since the epoch). */
  at: v.number(),
  state: v.picklist(FOLLOW_STATES),
});
export type FollowLoginInfo = v.InferOutput<typeof FollowLoginInfo>;
