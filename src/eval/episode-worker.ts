/**
 * Worker-process entry of the evaluator: embeds batches of images with its own copy of the backbone
 * and scores gathered episodes with its own copy of the head, on a one-thread backend. A process,
 * not a worker thread: the native addon keeps process-wide buffer pools and primitive caches that
 * two threads must not use at once, and a process has its own.
 */
import { decodeCheckpoint } from '../backbones/checkpoint.js';
import type { Backbone } from '../backbones/types.js';
import { initBackend } from '../backend/select.js';
import { createHead } from '../heads/registry.js';
import type { Head } from '../heads/types.js';
import { loadPluginsFromEnv } from '../plugins/load.js';
import { liftHead, type LiftedHead } from '../sla/lift.js';
import { tf } from '../tf.js';
import { getLabelTransform } from '../transforms/registry.js';
import { embedImages, type ImageEmbedding } from './embedding-cache.js';
import { scoreEpisode } from './episode-score.js';
import type { FromWorker, HeadSpec, ToWorker } from './worker-protocol.js';

let head: Head | undefined;
let lifted: LiftedHead | undefined;
let embedding: ImageEmbedding | undefined;
let backbone: Backbone | undefined;

function send(message: FromWorker): void {
  process.send!(message);
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
    await loadPluginsFromEnv();
    head = buildHead(message.head);
    lifted = liftHead(head, message.copies);
    if (message.embed) {
      const { checkpoint, transform, normalization, shape } = message.embed;
      const loaded = decodeCheckpoint(checkpoint, 'the evaluator backbone');
      backbone = loaded.backbone;
      embedding = { backbone, transform: getLabelTransform(transform), normalization, shape };
    }
    send({ type: 'ready' });
  } else if (message.type === 'embed') {
    if (!embedding) throw new Error('embed request to a worker started without a backbone');
    send({ type: 'embedded', id: message.id, values: await embedImages(message.images, embedding) });
  } else if (message.type === 'score') {
    send({ type: 'scored', id: message.id, accuracies: message.episodes.map((episode) => scoreEpisode(lifted!, episode)) });
  } else {
    head?.dispose();
    backbone?.dispose();
    // exit, not disconnect: a backend's own threads (wasm's pthread workers) would keep the process alive.
    process.exit(0);
  }
}

// The evaluator is gone (it exited on a signal): nothing is left to do.
process.on('disconnect', () => process.exit(0));

process.on('message', (message: ToWorker) => {
  handle(message).catch((error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    send({ type: 'error', name: e.name, message: e.message.split('\n')[0]! });
  });
});
