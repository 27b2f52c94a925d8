// Operating wxauth: the `wxauth admin` command for support staff, and the audit trail's retention.
export * from './retention.js';
