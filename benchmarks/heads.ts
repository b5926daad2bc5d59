/**
 * Per-episode time of each head: forward (logits) and forward+backward (cross-entropy gradient
 * with respect to support and query embeddings), 5-way 1-shot and 5-shot with 15 queries per
 * class, plain and lifted to 20 joint classes (4 rotations: nS = 20 / 100, nQ = 300). Not a test.
 * Usage: npx tsx benchmarks/heads.ts [--backend wasm|cpu|tensorflow] [--heads protonet,ridge,svm]
 *   [--dims 256,1600,2560] [--shots 1,5] [--batch 4] [--steps 5] [--warmup 2] [--seed 1]
 * With --batch B > 1 it also times B episodes through `batchLogits` (one batched call), per episode.
 * Times are wall clock and process CPU (user + system, all threads) per episode.
 * --solver times only the structured svm solve + backward (Float64 JS, best of --steps, CPU) on
 * the kernels of lifted episodes (20 joint classes, nS = 20 * shot) for each --dims and --shots.
 * Embeddings are synthetic ReLU features clustered by joint class (|N(0,1)| scale, so K_ii ~ d).
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { batchLogits, createHead, type Head, type SvmHead } from '../src/heads/index.js';
import { solveSvmCs, svmCsBackward } from '../src/solvers/index.js';
import { tf } from '../src/tf.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    heads: { type: 'string', default: 'protonet,ridge,svm' },
    dims: { type: 'string', default: '256,1600,2560' },
    shots: { type: 'string', default: '1,5' },
    batch: { type: 'string', default: '4' },
    solver: { type: 'boolean', default: false },
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

const batch = Number(values.batch);

/** Runs `body` `warmup + steps` times; returns wall and CPU ms per timed run, divided by `per`. */
function time(body: () => void, per = 1): string {
  for (let i = 0; i < warmup; i++) body();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) body();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6 / steps / per;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1000 / steps / per;
  return `${wall.toFixed(1).padStart(6)} ms (cpu ${cpu.toFixed(1).padStart(6)})`;
}

/**
 * Clustered non-negative embeddings: one mean per class, rows in class order i % nWay; with
 * `episodes` > 0 a leading batch dimension of that many episodes.
 */
function episode(nWay: number, shot: number, queries: number, d: number, episodes = 0) {
  return tf.tidy(() => {
    const lead = episodes > 0 ? [episodes] : [];
    const means = tf.relu(tf.randomNormal([...lead, 1, nWay, d], 0, 1, 'float32', seed));
    const rows = (count: number, s: number) => {
      const one = Array.from({ length: count * nWay }, (_, i) => i % nWay);
      const labels = episodes > 0 ? Array.from({ length: episodes }, () => one) : one;
      const noise = tf.randomNormal([...lead, count, nWay, d], 0, 1, 'float32', s);
      const x = tf.reshape(tf.relu(tf.add(means, noise)), [...lead, count * nWay, d]);
      return { x, labels };
    };
    const s = rows(shot, seed + 1);
    const q = rows(queries, seed + 2);
    return {
      support: s.x,
      supportLabels: tf.tensor(s.labels, undefined, 'int32'),
      query: q.x,
      queryOneHot: tf.oneHot(tf.tensor(q.labels, undefined, 'int32') as tf.Tensor1D, nWay).toFloat(),
    };
  });
}

type Episode = ReturnType<typeof episode>;

/** Logits of one episode, or of a batch through `batchLogits`. */
function logitsOf(head: Head, ep: Episode, s: tf.Tensor, q: tf.Tensor, nWay: number): tf.Tensor {
  return s.rank === 3
    ? batchLogits(head, s as tf.Tensor3D, ep.supportLabels as tf.Tensor2D, q as tf.Tensor3D, nWay)
    : head.logits(s as tf.Tensor2D, ep.supportLabels as tf.Tensor1D, q as tf.Tensor2D, nWay);
}

function forward(head: Head, ep: Episode, nWay: number): void {
  tf.tidy(() => logitsOf(head, ep, ep.support, ep.query, nWay).dataSync());
}

function forwardBackward(head: Head, ep: Episode, nWay: number): void {
  tf.tidy(() => {
    const grads = tf.grads((s: tf.Tensor, q: tf.Tensor) => tf.losses.softmaxCrossEntropy(ep.queryOneHot, logitsOf(head, ep, s, q, nWay)))([
      ep.support,
      ep.query,
    ]);
    grads.forEach((g) => g.dataSync());
  });
}

/** Best-of-steps CPU ms of the svm solve + backward alone on one lifted episode's kernel. */
function timeSolver(d: number, shot: number): void {
  const nWay = 20;
  const ep = episode(nWay, shot, 1, d);
  const k = tf.tidy(() => tf.matMul(ep.support, ep.support, false, true).dataSync());
  const labels = ep.supportLabels.dataSync();
  const g = new Float64Array(labels.length * nWay).fill(0.01);
  let best = Infinity;
  let sol = solveSvmCs(k, labels, nWay);
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    sol = solveSvmCs(k, labels, nWay);
    svmCsBackward(sol, g);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000);
  }
  console.log(
    `d ${String(d).padStart(5)}  svm solve+backward only (20 joint classes, nS ${labels.length}, ${labels.length * nWay} dual vars): best ${best.toFixed(1)} ms CPU  [${sol.newtonSteps} Newton steps, ${sol.interiorPointIterations} interior-point iterations, ${sol.reducedSize} free]`,
  );
  tf.dispose(ep);
}

if (values.solver) {
  for (const d of list(values.dims!).map(Number)) for (const shot of list(values.shots!).map(Number)) timeSolver(d, shot);
  process.exit(0);
}

const configs = list(values.shots!).map(Number).flatMap((shot) => [
  { label: `5-way ${shot}-shot`, nWay: 5, shot, queries: 15 },
  { label: `5-way ${shot}-shot lifted x4 (20 joint classes)`, nWay: 20, shot, queries: 15 },
]);

for (const d of list(values.dims!).map(Number)) {
  for (const c of configs) {
    const ep = episode(c.nWay, c.shot, c.queries, d);
    const batchEp = batch > 1 ? episode(c.nWay, c.shot, c.queries, d, batch) : undefined;
    for (const name of list(values.heads!)) {
      const head = createHead(name);
      const fwd = time(() => forward(head, ep, c.nWay));
      const fb = time(() => forwardBackward(head, ep, c.nWay));
      let extra = '';
      if (name === 'svm') {
        const s = (head as SvmHead).lastSolutions[0]!;
        extra = `  [${c.nWay * c.shot * c.nWay} dual vars: ${s.sweeps} sweeps, ${s.newtonSteps} Newton steps, ${s.interiorPointIterations} interior-point iterations, ${s.reducedSize} free, KKT residual ${s.residual.toExponential(1)}]`;
      }
      console.log(
        `d ${String(d).padStart(5)}  ${c.label.padEnd(40)} nS ${String(c.nWay * c.shot).padStart(3)} nQ ${String(c.nWay * c.queries).padStart(3)}  ${name.padEnd(8)} forward ${fwd}  forward+backward ${fb}${extra}`,
      );
      if (batchEp) {
        const bf = time(() => forward(head, batchEp, c.nWay), batch);
        const bfb = time(() => forwardBackward(head, batchEp, c.nWay), batch);
        console.log(`${' '.repeat(75)}${name.padEnd(8)} batched x${batch}, per episode: forward ${bf}  forward+backward ${bfb}`);
      }
      head.dispose();
    }
    tf.dispose(ep);
    if (batchEp) tf.dispose(batchEp);
  }
}
process.exit(0);
