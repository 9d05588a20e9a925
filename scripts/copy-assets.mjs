// Copies non-TypeScript runtime assets (the dashboard page) from src/ into dist/ after tsc.
import { cpSync } from 'node:fs';

cpSync('src/ops/dashboard/assets', 'dist/ops/dashboard/assets', { recursive: true });
