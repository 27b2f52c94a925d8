// pnpm preflight: the deployment checked end to end, from the command line and from nginx's side.
export { preflightRoutes } from './routes.js';
export { main as preflightMain } from './cli.js';
