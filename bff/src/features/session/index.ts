// The signed-in session: kept in the state store, held by the browser's cookie or a mini program's
// bearer token. Every feature's door to it.
export * from './sessions.js';
export * from './cookies.js';
export * from './bearer.js';
