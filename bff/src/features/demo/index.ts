// Demo mode: the embedded simulator, the SMS inbox, and the H5 app served by the BFF.
export * from './start.js';
