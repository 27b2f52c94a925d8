import type { BindResult, LoginResult, SessionInfo } from '@wxauth/contract';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { bindPassword, bindPhone, unbindPhone } from '@/api/account';
import { login as finishLogin, logout as endSession } from '@/api/auth';
import { getSession } from '@/api/session';

/**
 * Who is signed in, and every change to it. Loaded once; an action that changes the session forgets
 * it, so the next page asks the BFF again. Views call these actions, never the API for them.
 */
export const useSessionStore = defineStore('session', () => {
  const info = ref<SessionInfo | null>(null);
  const loaded = ref(false);

  async function load(force = false): Promise<SessionInfo | null> {
    if (!loaded.value || force) {
      info.value = await getSession();
      loaded.value = true;
    }
    return info.value;
  }

  function forget(): void {
    info.value = null;
    loaded.value = false;
  }

  /** Finishes WeChat's authorization (its code, our state): the BFF sets a fresh session cookie. */
  async function login(code: string, state: string): Promise<LoginResult> {
    const result = await finishLogin(code, state);
    forget();
    return result;
  }

  async function bind(phone: string, smsCode: string): Promise<BindResult> {
    const result = await bindPhone(phone, smsCode);
    forget();
    return result;
  }

  /** Binds to the host system's account its password proves (BIND_METHODS includes "password"). */
  async function bindWithPassword(account: string, password: string): Promise<BindResult> {
    const result = await bindPassword(account, password);
    forget();
    return result;
  }

  async function unbind(): Promise<void> {
    await unbindPhone();
    forget();
  }

  /** Signed out on this page even if the BFF could not be told: its session then ends on its own. */
  async function logout(): Promise<void> {
    await endSession().catch(() => undefined);
    forget();
  }

  /** A call answered 401: the session ended under the user. The router takes them through /auth. */
  function expire(): void {
    forget();
  }

  return { info, loaded, load, login, bind, bindWithPassword, unbind, logout, expire };
});
