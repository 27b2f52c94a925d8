/**
 * The H5 app's pages that show the WeChat profile (nickname, avatar): a login for them asks for
 * snsapi_userinfo at once. The app's router and the BFF's deep links both go by this list.
 */
export const PROFILE_PAGES = ['/profile'] as const;

/** Whether a path (with or without its query) is one of the profile pages. */
export const needsProfile = (path: string): boolean => PROFILE_PAGES.some((p) => path.split(/[?#]/)[0] === p);

/**
 * The H5 app's pages a WeChat user may open before binding a phone (the phone's confirm of a desktop
 * login through the Official Account): a login for them goes there, not to the bind page.
 */
export const UNBOUND_PAGES = ['/follow/confirm'] as const;

/** Whether a path (with or without its query) is one of the pages for unbound users too. */
export const allowsUnbound = (path: string): boolean => UNBOUND_PAGES.some((p) => path.split(/[?#]/)[0] === p);
