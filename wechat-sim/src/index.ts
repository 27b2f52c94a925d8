export { createSimulator, type RunningSimulator, type Simulator } from './simulator.js';
export { demoApps, DEMO_OPEN_PLATFORM } from './seed.js';
export type { Fault, SimApp, SimOptions } from './types.js';
