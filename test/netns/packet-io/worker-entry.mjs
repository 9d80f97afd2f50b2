// Worker entry for forwarder.ts: on Node 20 the `--import tsx` hooks of the main thread do not reach worker
// threads, so register tsx here, then load the TypeScript worker code.
import { register } from 'tsx/esm/api';

register();
await import('./forwarder.ts');
