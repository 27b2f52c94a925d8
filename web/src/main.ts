import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { captureCallback } from './callback';
import { createAppRouter } from './router';
import './styles.css';

captureCallback();

const app = createApp(App);
app.use(createPinia());
app.use(createAppRouter());
app.mount('#app');
