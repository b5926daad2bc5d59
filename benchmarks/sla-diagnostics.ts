/**
 * What an SLA (or plain) model learned, not a test. Two read-outs:
 * 1. With --manifest (SLA models): on the episodes of a manifest, the lifted head's joint (N*M-way)
 *    logits read several ways: joint accuracy over every query copy, how often the transformation
 *    of a query copy is recognised (the argmax's j), the class accuracy of each copy j alone
 *    (support copies under t_j as prototypes, logits column i*M + j: copy 0 is single inference),
 *    and aggregated (SLA+AG) accuracy. These depend on the head and the episode's supports.
 * 2. With --probe (any model): frozen-feature linear probes (src/eval/linear-probe.ts) of the
 *    inference-mode embeddings: the transformation (softmax regression over the M copies, fitted
 *    on base = train-split classes, scored on novel = test-split classes; a plain model is probed
 *    with rotations) and the class (novel classes, fitted on half of each class's chosen images,
 *    scored on the other half). Chance is 1/M and 1/(test classes).
 * Used to investigate where SLA+AG gains or loses (docs/results.md).
 * Usage: npx tsx benchmarks/sla-diagnostics.ts --model run/best.jsm --dataset tiny-imagenet-fs
 *   [--manifest episodes/tiny-imagenet-fs/test-5way-1shot.json] [--episodes 1000]
 *   [--probe] [--probe-images 100] [--probe-steps 300] [--probe-transform rotation]
 *   [--data-dir DIR] [--backend native]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { getDataset, registerPreparedDatasets } from '../src/data/index.js';
import { readManifest } from '../src/episodes/index.js';
import { buildEmbeddingCache, gatherEpisode, loadEvalModel, usedImages } from '../src/eval/index.js';
import { probeModel } from '../src/eval/linear-probe.js';
import { aggregateJointLogits, liftHead } from '../src/sla/index.js';
import { meanConfidenceInterval } from '../src/stats/index.js';
import { tf } from '../src/tf.js';
import { defaultDataDir } from '../src/cli/context.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    dataset: { type: 'string' },
    manifest: { type: 'string' },
    episodes: { type: 'string' },
    'data-dir': { type: 'string' },
    backend: { type: 'string' },
    probe: { type: 'boolean', default: false },
    'probe-images': { type: 'string', default: '100' },
    'probe-steps': { type: 'string', default: '300' },
    'probe-transform': { type: 'string' },
  },
});
if (!values.model || !values.dataset || (!values.manifest && !values.probe)) {
  console.error(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 19).join('\n'));
  process.exit(2);
}

const info = await initBackend(values.backend as never);
const dataDir = values['data-dir'] ?? defaultDataDir();
await registerPreparedDatasets(dataDir);
const { model, dispose } = await loadEvalModel(values.model, { dataset: values.dataset });
const M = model.transform.count;
const split = await getDataset(values.dataset).load('test', { dataDir });
const show = (name: string, values: number[]) => {
  const ci = meanConfidenceInterval(values);
  console.log(`${name.padEnd(44)} ${(100 * ci.mean).toFixed(2)} ± ${(100 * ci.halfWidth).toFixed(2)}`);
};

if (values.manifest) {
  const manifest = await readManifest(values.manifest, split);
  const episodes = manifest.episodes.slice(0, Number(values.episodes ?? manifest.count));
  const cache = await buildEmbeddingCache(split, usedImages(split.classes.length, episodes), model);
  const lifted = liftHead(model.head, M);

  const perEpisode = { joint: [] as number[], transform: [] as number[], aggregated: [] as number[], copy: Array.from({ length: M }, () => [] as number[]) };
  for (const episode of episodes) {
    const e = gatherEpisode(cache, episode);
    const nS = e.supportLabels.length;
    const nQ = e.queryLabels.length;
    const N = e.ways;
    const [z, aggregatedPredictions] = tf.tidy(() => {
      const joint = lifted.jointLogits(tf.tensor2d(e.support, [nS * M, e.dim]), tf.tensor1d(e.supportLabels, 'int32'), tf.tensor2d(e.query, [nQ * M, e.dim]), N);
      return [joint.dataSync(), aggregateJointLogits(joint, N, M).argMax(1).dataSync()];
    });
    const row = (r: number) => z.subarray(r * N * M, (r + 1) * N * M);
    let joint = 0;
    let transform = 0;
    let aggregated = 0;
    const copy = new Array<number>(M).fill(0);
    for (let b = 0; b < nQ; b++) {
      const y = e.queryLabels[b]!;
      for (let j = 0; j < M; j++) {
        const r = row(b * M + j);
        let best = 0;
        for (let k = 1; k < N * M; k++) if (r[k]! > r[best]!) best = k;
        if (best === y * M + j) joint++;
        if (best % M === j) transform++;
        let bestClass = 0;
        for (let i = 1; i < N; i++) if (r[i * M + j]! > r[bestClass * M + j]!) bestClass = i;
        if (bestClass === y) copy[j]!++;
      }
      if (aggregatedPredictions[b] === y) aggregated++;
    }
    perEpisode.joint.push(joint / (nQ * M));
    perEpisode.transform.push(transform / (nQ * M));
    perEpisode.aggregated.push(aggregated / nQ);
    copy.forEach((c, j) => perEpisode.copy[j]!.push(c / nQ));
  }

  console.log(`${values.model}: ${model.head.name} + ${model.transform.name} (M=${M}), ${episodes.length} episodes of ${values.manifest}, backend ${info.name}`);
  show(`joint accuracy (${manifest.ways * M}-way, every query copy)`, perEpisode.joint);
  show('transformation recognised (argmax j)', perEpisode.transform);
  perEpisode.copy.forEach((c, j) => show(`class accuracy of copy ${j} alone${j === 0 ? ' (= single)' : ''}`, c));
  show('aggregated (SLA+AG)', perEpisode.aggregated);
}

if (values.probe) {
  const base = await getDataset(values.dataset).load('train', { dataDir });
  const started = performance.now();
  const report = await probeModel(model, base, split, {
    imagesPerClass: Number(values['probe-images']),
    steps: Number(values['probe-steps']),
    ...(values['probe-transform'] ? { transform: values['probe-transform'] } : {}),
  });
  const pct = (v: number) => (100 * v).toFixed(2);
  console.log(`${values.model}: linear probes (${values['probe-images']} images per class, ${values['probe-steps']} Adam steps, ${((performance.now() - started) / 1000).toFixed(0)} s, backend ${info.name})`);
  const t = report.transformation;
  console.log(`transformation probe (${report.transform}, M=${report.copies}; chance ${pct(1 / report.copies)}): base-class train ${pct(t.trainAccuracy)} (${t.trainCount}), novel-class test ${pct(t.testAccuracy)} (${t.testCount})`);
  const c = report.class;
  console.log(`class probe (${c.classes}-way novel; chance ${pct(1 / c.classes)}): train ${pct(c.trainAccuracy)} (${c.trainCount}), held-out test ${pct(c.testAccuracy)} (${c.testCount})`);
}
dispose();
