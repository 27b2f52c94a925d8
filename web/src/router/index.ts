import { allowsUnbound, CONSENT_PAGE, FOLLOW_CONFIRM_PAGE, needsProfile } from '@wxauth/contract';
import { createRouter, createWebHistory, type RouteLocationRaw, type Router } from 'vue-router';
import { setUnauthorizedHandler } from '@/api/http';
import { useMetaStore } from '@/stores/meta';
import { useSessionStore } from '@/stores/session';
// Bundled with the entry, not lazy: /auth is the first page of most visits, and on a slow network a
// separate 1 KB chunk costs a whole round trip before the user can leave for WeChat.
import AuthView from '@/views/AuthView.vue';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session (the auth pages). */
    public?: boolean;
    /** Needs the user's nickname and avatar: authorize with snsapi_userinfo. */
    profile?: boolean;
    /** Needs a WeChat session, bound to a customer or not yet (the phone's confirm of a desktop login). */
    unbound?: boolean;
  }
}

export function createAppRouter(): Router {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/', name: 'home', component: () => import('@/views/HomeView.vue') },
      { path: '/bind', name: 'bind', component: () => import('@/views/BindPhoneView.vue') },
      {
        path: '/profile',
        name: 'profile',
        component: () => import('@/views/ProfileView.vue'),
        meta: { profile: needsProfile('/profile') },
      },
      // Another company's app asks to sign the user in (an OpenID Connect client that is not first-party).
      { path: CONSENT_PAGE, name: 'authorize-app', component: () => import('@/views/AuthorizeAppView.vue') },
      { path: '/auth', name: 'auth', component: AuthView, meta: { public: true } },
      {
        path: '/open-in-wechat',
        name: 'open-in-wechat',
        component: () => import('@/views/OpenInWechatView.vue'),
        meta: { public: true },
      },
      // Login through the Official Account: the desktop's QR code page, and the phone's confirm page.
      {
        path: '/follow-login',
        name: 'follow-login',
        component: () => import('@/views/FollowLoginView.vue'),
        meta: { public: true },
      },
      {
        path: FOLLOW_CONFIRM_PAGE,
        name: 'follow-confirm',
        component: () => import('@/views/FollowConfirmView.vue'),
        meta: { unbound: allowsUnbound(FOLLOW_CONFIRM_PAGE) },
      },
      {
        path: '/unavailable',
        name: 'unavailable',
        component: () => import('@/views/UnavailableView.vue'),
        meta: { public: true },
      },
      { path: '/:pathMatch(.*)*', redirect: '/' },
    ],
  });

  const toAuth = (returnTo: string, profile = false): RouteLocationRaw => ({
    name: 'auth',
    query: { returnTo, ...(profile ? { scope: 'snsapi_userinfo' } : {}) },
  });

  router.beforeEach(async (to) => {
    if (to.meta.public) return true;
    const session = useSessionStore();
    let info;
    try {
      info = await session.load();
    } catch {
      // The session could not be checked (the BFF answers 503 while its state store is down, or the
      // network failed): say so, rather than show a blank page or start a login that cannot finish.
      return { name: 'unavailable', query: { returnTo: to.fullPath } };
    }
    if (!info) return toAuth(to.fullPath, to.meta.profile);
    if (!info.bound && to.name !== 'bind' && !to.meta.unbound) return { name: 'bind' };
    if (info.bound && to.name === 'bind') return { name: 'home' };
    // Opt-in (WX_UNIONID_BEFORE_BIND): a new user passes snsapi_userinfo once before binding. WeChat
    // gives the unionid only then, so the PC app knows them at once; without it, the same phone bound
    // on the PC joins the accounts all the same.
    if (to.name === 'bind') {
      // Asked before the page shows, so its tabs (the meta's bindMethods) never change under the user.
      const meta = await useMetaStore()
        .load()
        .catch(() => null);
      if (meta?.unionidBeforeBind && !info.unionid && to.query.skipProfile !== '1') return toAuth('/bind', true);
    }
    if (to.meta.profile && !info.user.nickname) return toAuth(to.fullPath, true);
    return true;
  });

  // A 401 from any call means the session ended: the store forgets it, and the user goes silently
  // through /auth and back to this page.
  setUnauthorizedHandler(() => {
    useSessionStore().expire();
    const current = router.currentRoute.value;
    if (!current.meta.public) void router.replace(toAuth(current.fullPath, current.meta.profile));
  });

  return router;
}
