/** Worker-thread entry: scores batches of episodes from the shared embedding cache with its own head. */
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../backend/select.js';
import { createHead } from '../heads/registry.js';
import type { Head } from '../heads/types.js';
import { liftHead, type LiftedHead } from '../sla/lift.js';
import { tf } from '../tf.js';
import { cacheFromChunks, type EmbeddingCache } from './embedding-cache.js';
import { gatherEpisode, scoreEpisode } from './episode-score.js';
import type { FromWorker, HeadSpec, ToWorker } from './worker-protocol.js';

const port = parentPort!;
let cache: EmbeddingCache | undefined;
let head: Head | undefined;
let lifted: LiftedHead | undefined;

function send(message: FromWorker): void {
  port.postMessage(message);
}

/** Builds the head from its spec and assigns the trained variable values. */
function buildHead(spec: HeadSpec): Head {
  const built = createHead(spec.name, spec.options);
  if (built.variables.length !== spec.variables.length) {
    built.dispose();
    throw new Error(`head '${spec.name}' has ${built.variables.length} variables, the evaluator sent ${spec.variables.length}`);
  }
  built.variables.forEach((variable, i) => {
    const { shape, values } = spec.variables[i]!;
    tf.tidy(() => variable.assign(tf.tensor(values, shape)));
  });
  return built;
}

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'init') {
    await initBackend(message.backend);
    cache = cacheFromChunks(message.chunks, message.dim, message.copies);
    head = buildHead(message.head);
    lifted = liftHead(head, message.copies);
    send({ type: 'ready' });
  } else if (message.type === 'score') {
    const accuracies = message.episodes.map((episode) => scoreEpisode(lifted!, gatherEpisode(cache!, episode)));
    send({ type: 'scored', first: message.first, accuracies });
  } else {
    head?.dispose();
    port.close();
  }
}

port.on('message', (message: ToWorker) => {
  handle(message).catch((error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    send({ type: 'error', name: e.name, message: e.message.split('\n')[0]! });
  });
});
