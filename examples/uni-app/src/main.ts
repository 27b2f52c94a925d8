// First: WeChat's code and state out of the address before the router starts.
import './boot';
// #ifdef H5
import './inputNames';
// #endif
import { createSSRApp } from 'vue';
import App from './App.vue';

export function createApp() {
  const app = createSSRApp(App);
  return { app };
}
