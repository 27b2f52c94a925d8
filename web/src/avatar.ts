import defaultAvatar from './assets/default-avatar.svg';

/**
 * The picture shown for a user: the one WeChat gave (snsapi_userinfo), else WeChat's own default, a grey
 * figure. Always a picture in the same square, so it is never a letter that reads as someone's own.
 */
export const avatarOf = (avatar: string | null | undefined): string => avatar || defaultAvatar;
