export type OAuthScope = 'snsapi_base' | 'snsapi_userinfo';

/** `sns/oauth2/access_token` and `sns/oauth2/refresh_token`. */
export interface OAuthTokens {
  access_token: string;
  expires_in: number;
  refresh_token: string;
  openid: string;
  scope: string;
  unionid?: string;
  /** 1 for 朋友圈快照页 virtual users: the openid is virtual and must never be bound. */
  is_snapshotuser?: number;
}

/** `sns/userinfo`. Since 2021 sex and region are no longer given, so they are not read. */
export interface UserInfo {
  openid: string;
  nickname: string;
  headimgurl: string;
  unionid?: string;
}

/** `cgi-bin/stable_token` and `cgi-bin/token`. */
export interface GlobalToken {
  access_token: string;
  expires_in: number;
}

/** `cgi-bin/ticket/getticket?type=jsapi`. */
export interface JsapiTicket {
  ticket: string;
  expires_in: number;
}

/** `sns/jscode2session`. The session_key is the user's key for data the mini program decrypts: never kept here. */
export interface MpSession {
  openid: string;
  session_key?: string;
  /** When the mini program is bound to an Open Platform account. */
  unionid?: string;
}

/** `wxa/business/getuserphonenumber`. */
export interface PhoneNumberReply {
  phone_info?: {
    /** With the country code for numbers outside the mainland. */
    phoneNumber?: string;
    purePhoneNumber?: string;
    countryCode?: string | number;
    watermark?: { appid?: string; timestamp?: number };
  };
}

/** `cgi-bin/qrcode/create`: the ticket (for `showqrcode`), its life, and the address the code encodes. */
export interface ParametricQr {
  ticket: string;
  expire_seconds: number;
  url: string;
}
