/** @module server — config, the fastify app, and starting/stopping the whole thing. */
export { loadConfig, CONFIG_VARIABLES, type Config } from './config.js';
export { buildApp, type AppOptions } from './app.js';
export { createRuntime, closeRuntime, allMigrations, erasureHooks, type Runtime } from './runtime.js';
export { startServer, serveFromEnvironment, type RunningServer } from './serve.js';
