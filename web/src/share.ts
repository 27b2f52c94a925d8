import type { Meta } from '@wxauth/contract';
import { inWechat, setShareCard, shareLink, wechatJssdk, type ShareCard } from '@wxauth/client';
import { bff } from '@/api/http';

/**
 * The card: a link to the page itself with nothing private in it (shareLink drops WeChat's from= and
 * isappinstalled=, which would pile up, and any fragment such as #rd), and an absolute picture on the
 * site (https in production, its origin in the demo).
 */
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
