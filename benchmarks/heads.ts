/**
 * Per-episode time of each head: forward (logits) and forward+backward (cross-entropy gradient
 * with respect to support and query embeddings), 5-way 1-shot and 5-shot with 15 queries per
 * class, plain and lifted to 20 joint classes (4 rotations: nS = 20 / 100, nQ = 300). Not a test.
 * Usage: npx tsx benchmarks/heads.ts [--backend wasm|cpu|tensorflow] [--heads protonet,ridge,svm]
 *   [--dims 256,1600,2560] [--shots 1,5] [--steps 5] [--warmup 2] [--seed 1]
 * Embeddings are synthetic ReLU features clustered by joint class (|N(0,1)| scale, so K_ii ~ d).
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { createHead, type Head, type SvmHead } from '../src/heads/index.js';
import { tf } from '../src/tf.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    heads: { type: 'string', default: 'protonet,ridge,svm' },
    dims: { type: 'string', default: '256,1600,2560' },
    shots: { type: 'string', default: '1,5' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
  },
});

const list = (s: string) => s.split(',').map((v) => v.trim()).filter(Boolean);
const info = await initBackend(values.backend);
console.log(`backend ${info.name}, ${info.threads} thread(s)${info.note ? ` (${info.note})` : ''}`);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const seed = Number(values.seed);

/** Runs `body` `warmup + steps` times; returns ms per timed run. */
function time(body: () => void): number {
  for (let i = 0; i < warmup; i++) body();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) body();
  return Number(process.hrtime.bigint() - t0) / 1e6 / steps;
}

/** Clustered non-negative embeddings: one mean per class, rows in class order i % nWay. */
function episode(nWay: number, shot: number, queries: number, d: number) {
  return tf.tidy(() => {
    const means = tf.relu(tf.randomNormal([nWay, d], 0, 1, 'float32', seed));
    const rows = (count: number, s: number) => {
      const labels = Array.from({ length: count * nWay }, (_, i) => i % nWay);
      const noise = tf.randomNormal([count * nWay, d], 0, 1, 'float32', s);
      return { x: tf.relu(tf.add(tf.gather(means, labels), noise)) as tf.Tensor2D, labels };
    };
    const s = rows(shot, seed + 1);
    const q = rows(queries, seed + 2);
    return {
      support: s.x,
      supportLabels: tf.tensor1d(s.labels, 'int32'),
      query: q.x,
      queryOneHot: tf.oneHot(q.labels, nWay).toFloat() as tf.Tensor2D,
    };
  });
}

function forwardBackward(head: Head, ep: ReturnType<typeof episode>, nWay: number): void {
  tf.tidy(() => {
    const grads = tf.grads((s: tf.Tensor, q: tf.Tensor) =>
      tf.losses.softmaxCrossEntropy(ep.queryOneHot, head.logits(s as tf.Tensor2D, ep.supportLabels, q as tf.Tensor2D, nWay)),
    )([ep.support, ep.query]);
    grads.forEach((g) => g.dataSync());
  });
}

const configs = list(values.shots!).map(Number).flatMap((shot) => [
  { label: `5-way ${shot}-shot`, nWay: 5, shot, queries: 15 },
  { label: `5-way ${shot}-shot lifted x4 (20 joint classes)`, nWay: 20, shot, queries: 15 },
]);

for (const d of list(values.dims!).map(Number)) {
  for (const c of configs) {
    const ep = episode(c.nWay, c.shot, c.queries, d);
    for (const name of list(values.heads!)) {
      const head = createHead(name);
      const fwd = time(() => tf.tidy(() => head.logits(ep.support, ep.supportLabels, ep.query, c.nWay).dataSync()));
      const fb = time(() => forwardBackward(head, ep, c.nWay));
      let extra = '';
      if (name === 'svm') {
        const s = (head as SvmHead).lastSolutions[0]!;
        extra = `  [${c.nWay * c.shot * c.nWay} dual vars: ${s.sweeps} sweeps, ${s.newtonSteps} Newton steps, ${s.reducedSize} free, KKT residual ${s.residual.toExponential(1)}]`;
      }
      console.log(
        `d ${String(d).padStart(5)}  ${c.label.padEnd(40)} nS ${String(c.nWay * c.shot).padStart(3)} nQ ${String(c.nWay * c.queries).padStart(3)}  ${name.padEnd(8)} forward ${fwd.toFixed(1).padStart(7)} ms  forward+backward ${fb.toFixed(1).padStart(7)} ms${extra}`,
      );
      head.dispose();
    }
    tf.dispose(ep);
  }
}
process.exit(0);
