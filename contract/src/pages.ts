/**
 * The H5 app's pages that show the WeChat profile (nickname, avatar): a login for them asks for
 * snsapi_userinfo at once. The app's router and the BFF's deep links both go by this list.
 */
export const PROFILE_PAGES = ['/profile'] as const;

/** Whether a path (with or without its query) is one of the profile pages. */
export const needsProfile = (path: string): boolean => PROFILE_PAGES.some((p) => path.split(/[?#]/)[0] === p);
