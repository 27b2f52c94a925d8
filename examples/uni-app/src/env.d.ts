/// <reference types="@dcloudio/types" />
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

interface ImportMetaEnv {
  /** The BFF's origin for the mini-program build (.env). */
  readonly VITE_WXAUTH_URL: string;
}
interface ImportMeta {
  readonly env: ImportMetaEnv;
}
