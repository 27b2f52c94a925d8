import uni from '@dcloudio/vite-plugin-uni';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [uni()],
  // uni-app copies src/static/ to dist/build/h5/static/, never to the root, where WeChat looks for
  // MP_verify_<token>.txt. Vite's public dir is copied to the root: put the file in public/.
  publicDir: 'public',
});
