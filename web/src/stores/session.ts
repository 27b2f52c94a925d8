import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SessionInfo } from '@wxauth/contract';
import { getSession } from '@/api/session';

/** Who is signed in, loaded once and reloaded after anything that changes it. */
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

  function clear(): void {
    info.value = null;
    loaded.value = false;
  }

  return {
    info,
    loaded,
    load,
    clear,
  };
});
