// The host's accounts: its customer directory, and the signed events we deliver to it (the outbox).
export * from './directory.js';
export * from './outbox.js';
export * from './hostSignature.js';
