import type { Meta } from '@wxauth/contract';
import { inWechat, setShareCard, wechatJssdk, type ShareCard } from '@wxauth/client';
import { bff } from '@/api/http';

/**
 * Never in a shared link: WeChat's callback (code, state), anything naming a session or a phone, and
 * the parameters WeChat adds to a shared link (from=singlemessage|groupmessage|timeline,
 * isappinstalled=0), which would otherwise pile up with every share of a share.
 */
const NOT_SHARED = ['code', 'state', 'sid', 'session', 'phone', 'from', 'isappinstalled'];

/** The page itself, as a friend should open it: its path and its own parameters, no fragment (#rd). */
export function shareLink(href: string): string {
  const url = new URL(href);
  for (const name of NOT_SHARED) url.searchParams.delete(name);
  url.hash = '';
  return url.href;
}

/** The card: WeChat wants an absolute picture; the site's own (https in production, its origin in demo). */
export function shareCard(href: string): ShareCard {
  return {
    title: '会员中心',
    desc: '微信里打开，自动登录你自己的账户',
    link: shareLink(href),
    imgUrl: new URL('/share.png', href).href,
  };
}

export const SHARE_APIS = ['updateAppMessageShareData', 'updateTimelineShareData'];

/**
 * Sets this page's card in WeChat's browser; elsewhere there is nothing to share to. A failure (a page
 * outside the JS接口安全域名, say) leaves WeChat's own plain card: it does not stop the page.
 */
export async function shareThisPage(loadMeta: () => Promise<Meta>): Promise<void> {
  if (!inWechat()) return;
  try {
    // WeChat's script, or in demo mode the simulator's stand-in (/api/meta says where).
    const scriptUrl = (await loadMeta()).jweixin;
    const wx = await wechatJssdk({ client: await bff(), jsApiList: SHARE_APIS, scriptUrl });
    await setShareCard(wx, shareCard(window.location.href));
  } catch {
    // WeChat's errMsg is in wx.error's JssdkError; the page goes on without a card of its own.
  }
}
