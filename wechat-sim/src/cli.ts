#!/usr/bin/env node
// Runs the simulator alone: WXSIM_PORT (default 8081), WXSIM_CALLBACK_DOMAIN (default localhost).
import { createSimulator } from './simulator.js';
import { demoApps } from './seed.js';

const port = Number(process.env.WXSIM_PORT ?? 8081);
const domain = process.env.WXSIM_CALLBACK_DOMAIN ?? 'localhost';
const sim = createSimulator({ apps: demoApps(domain), allowPorts: process.env.WXSIM_ALLOW_PORTS !== '0' });
const running = await sim.listen(port, process.env.WXSIM_HOST ?? '127.0.0.1');
console.log(`wechat-sim listening on ${running.origin} (callback domain ${domain})`);
const stop = () => void running.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
