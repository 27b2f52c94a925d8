// Operating wxauth: the `wxauth admin` command for support staff, and the audit trail's retention.
export * from './retention.js';
export { main as adminMain, USAGE as ADMIN_USAGE, type AdminIo } from './cli.js';
