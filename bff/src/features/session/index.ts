// The signed-in session: kept in the state store, held by the browser's cookie. Every feature's door to it.
export * from './sessions.js';
export * from './cookies.js';
