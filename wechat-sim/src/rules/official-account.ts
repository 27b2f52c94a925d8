/** How WeChat delivers to a server URL: the MP backend's 消息加解密方式. */
export type PushMode = 'plaintext' | 'compatible' | 'safe';

/** An Official Account's 服务器配置 (设置与开发 → 基本配置). */
export interface ServerConfig {
  url: string;
  token: string;
  encodingAESKey?: string;
  mode: PushMode;
}

/** A parametric QR code (生成带参数的二维码). */
export interface QrTicket {
  appid: string;
  /** scene_str, or scene_id as text. */
  scene: string;
  /** null: a permanent code. */
  expiresAt: number | null;
  url: string;
}

/** One line of a user's chat with an account, as the user's phone shows it. */
export interface ChatLine {
  from: 'account' | 'user';
  msgType: string;
  content: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** The Official Accounts' side of the simulated WeChat: their server URLs, QR codes, followers and chats. */
export function officialAccountState() {
  const servers = new Map<string, ServerConfig>();
  const qrTickets = new Map<string, QrTicket>();
  /** `appid:user` → follows or not; absent: users named `follower-…` follow, others do not. */
  const follows = new Map<string, boolean>();
  const chats = new Map<string, ChatLine[]>();
  return {
    servers,
    qrTickets,
    follows,
    chats,
    chatOf(appid: string, user: string): ChatLine[] {
      const key = `${appid}:${user}`;
      let chat = chats.get(key);
      if (!chat) chats.set(key, (chat = []));
      return chat;
    },
    /** What a reset forgets: the codes, followers and chats (the server configuration stays, as the apps do). */
    clear() {
      qrTickets.clear();
      follows.clear();
      chats.clear();
    },
  };
}
