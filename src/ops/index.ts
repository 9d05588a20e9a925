/** @module ops — health, metrics and the admin dashboard. */
export { healthRoutes, type HealthRoutesOptions, type ReadinessCheck } from './health.js';
export { metricsRoutes } from './metrics-routes.js';
export { dashboardRoutes, DASHBOARD_PUBLIC_PATHS } from './dashboard/routes.js';
