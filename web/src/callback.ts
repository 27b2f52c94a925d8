// WeChat's callback, taken out of the address by main.ts before the app mounts, and handed to the
// auth page once: @wxauth/client's, the same as the uni-app example's.
export { captureCallback, takeCallback, type Callback } from '@wxauth/client';
