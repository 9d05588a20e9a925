/** Entry point for `npm start`. */
import { serveFromEnvironment } from './server/index.js';

await serveFromEnvironment();
