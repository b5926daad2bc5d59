// Passed to `node --import`: registers itself as a module-resolution hook that appends every
// resolved URL to the file named by $LOAD_LOG, so a test can see which packages an import pulls in.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (process.env.LOAD_LOG) appendFileSync(process.env.LOAD_LOG, `${resolved.url}\n`);
  return resolved;
}
