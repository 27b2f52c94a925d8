// The share card of an H5 page inside WeChat, through WeChat's JS-SDK (a mini program shares with
// onShareAppMessage instead). Pages call shareThisPage() in an `#ifdef H5` block.
import { inWechat, setShareCard, shareLink, wechatJssdk } from '@wxauth/client';
import { wxauth } from './wxauth';

const SHARE_APIS = ['updateAppMessageShareData', 'updateTimelineShareData'];

/**
 * Sets this page's card. The link is the page's own address with its `#/route` (uni-app's H5 router is
 * hash mode), minus anything private and the from=/isappinstalled= WeChat added when it was shared to
 * us; the picture is absolute (src/static/ is served at /static/). A failure leaves WeChat's plain card.
 */
export async function shareThisPage(title: string, desc: string): Promise<void> {
  if (!inWechat()) return;
  try {
    // WeChat's jweixin, or in the demo and the tests the simulator's stand-in: /api/meta says which.
    const { jweixin } = await wxauth.meta();
    const wx = await wechatJssdk({ client: wxauth, jsApiList: SHARE_APIS, scriptUrl: jweixin });
    await setShareCard(wx, {
      title,
      desc,
      link: shareLink(location.href, { hashRouter: true }),
      imgUrl: new URL('/static/share.png', location.href).href,
    });
  } catch {
    // wx.error's JssdkError carries WeChat's errMsg; the page goes on without a card of its own.
  }
}
