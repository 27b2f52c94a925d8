/**
 * The demo's fixed secrets: public, in this repository, so a restart of `pnpm start` keeps its
 * sessions. Never accepted in production, nor anywhere with real credentials (config.ts refuses them).
 */
export const DEMO_SECRET = 'demo-only-secret-never-use-in-production-0000';
export const DEMO_PROFILE_KEY = Buffer.alloc(32, 7);
/** The demo's 服务器配置: its simulator pushes to /api/wechat/messages with these, in 安全模式. */
export const DEMO_MESSAGE_TOKEN = 'wxauthDemoToken';
export const DEMO_MESSAGE_AES_KEY = 'wxauthDemoEncodingAESKey0000000000000000000';

/** The demo's identity-token key lives with its data: beside the SQLite file, else in ./data. */
export const demoJwtKeysFile = (databaseUrl: string): string => {
  const file = /^sqlite:(.+)$/.exec(databaseUrl)?.[1];
  const folder = file && file !== ':memory:' ? file.replace(/[^/]*$/, '') || './' : './data/';
  return `${folder}jwt-keys.json`;
};
