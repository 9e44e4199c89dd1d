/**
 * The remediator console: a small Preact front end, bundled by esbuild into dist/console (npm run
 * build) and served by `remediator serve` (src/api/console.ts). It reads the JSON API, follows
 * `GET /api/v1/events`, and writes with a session (src/api/sessions.ts). It imports nothing of
 * the server but the API's types (src/api/wire.ts).
 */
import { render } from 'preact';
import { App } from './app';
import { startRouter } from './router';

startRouter();
const root = document.getElementById('app');
if (root !== null) render(<App />, root);
