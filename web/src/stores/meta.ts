import type { Meta } from '@wxauth/contract';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { getMeta } from '@/api/auth';

/** WeChat's in-app browser, by its user agent. */
export { inWechat as isWechat } from '@wxauth/client';

/** What the BFF offers (demo mode, website login, the ways to bind), asked once. */
export const useMetaStore = defineStore('meta', () => {
  const meta = ref<Meta | null>(null);
  let pending: Promise<Meta> | undefined;

  function load(): Promise<Meta> {
    pending ??= getMeta().then((m) => (meta.value = m));
    return pending;
  }

  return { meta, load };
});
