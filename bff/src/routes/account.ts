import { AppError } from '../errors.js';
import { maskPhone, parsePhone } from '../phone.js';
import { requireSession, type AppRouter, type RouteDeps } from './context.js';

const alreadyBound = () => new AppError(409, 'ALREADY_BOUND', '已绑定手机号');

export function accountRoutes(router: AppRouter, deps: RouteDeps): void {
  const { config, cookies, sessions, smsCodes, store, profiles, metrics } = deps;
  const session = requireSession(deps);

  router.get('/api/session', session, async (ctx) => {
    const { identity } = ctx.state.session!;
    // A stale profile is fetched again in the background; this answer does not wait for WeChat.
    if (profiles.isStale(identity)) void profiles.refresh(identity);
    const customer = identity.customer_id === null ? undefined : await store.customerById(identity.customer_id);
    ctx.body = {
      bound: customer !== undefined,
      // Whether WeChat gave this identity a unionid: what joins it to the person's other apps.
      unionid: identity.unionid !== null,
      user: {
        phone: customer ? maskPhone(customer.phone) : null,
        nickname: identity.nickname,
        avatar: identity.avatar_url,
      },
    };
  });

  router.post('/api/sms/send', session, async (ctx) => {
    const current = ctx.state.session!;
    if (current.identity.customer_id !== null) throw alreadyBound();
    const phone = parsePhone(ctx.state.body?.phone);
    try {
      ctx.body = await smsCodes.send({
        phone,
        sessionKey: current.key,
        identityId: current.identity.id,
        ip: ctx.ip,
      });
      metrics.sms('sent');
    } catch (err) {
      metrics.sms(metrics.codeOf(err));
      throw err;
    }
  });

  router.post('/api/account/bind', session, async (ctx) => {
    const current = ctx.state.session!;
    if (current.identity.customer_id !== null) throw alreadyBound();
    const phone = parsePhone(ctx.state.body?.phone);
    const proof = await smsCodes.verify({ phone, code: ctx.state.body?.smsCode, sessionKey: current.key });
    try {
      // One transaction: if the database fails part-way, nothing of it stays, and the code is kept.
      await store.bindPhone(current.identity.id, phone);
    } catch (err) {
      await proof.restore();
      throw err;
    }
    // Binding raises what the session may do: give it a new id.
    await sessions.destroy(current.id);
    const id = await sessions.create(current.identity.id, current.returnTo);
    cookies.set(ctx, 'session', id, config.session.absoluteMs);
    ctx.body = { next: 'home', returnTo: current.returnTo };
  });

  router.post('/api/account/unbind', session, async (ctx) => {
    const current = ctx.state.session!;
    if (current.identity.customer_id === null) throw new AppError(409, 'NOT_BOUND', '尚未绑定手机号');
    await store.unbind(current.identity.id);
    cookies.clear(ctx, 'session');
    ctx.status = 204;
  });
}
