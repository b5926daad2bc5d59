// Logits of the three built-in heads through the built package (run `npm run build` first):
//   node docs/examples/heads-from-package.mjs
// `jointshot` resolves to this package through its "exports" map (package self-reference).
import { createHead, listHeads, tf } from 'jointshot';

await tf.setBackend('cpu');

// A 3-way 2-shot episode in 4 dimensions, 3 queries (one per class).
const support = tf.tensor2d([
  [2, 0, 0, 0.1], [0, 2, 0, 0.1], [0, 0, 2, 0.1],
  [1.8, 0.2, 0, 0], [0.1, 1.9, 0, 0], [0, 0.2, 2.1, 0],
]);
const supportLabels = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
const query = tf.tensor2d([[1.9, 0, 0.1, 0], [0, 2.2, 0, 0], [0.1, 0, 1.7, 0]]);

console.log('heads:', listHeads().join(', '));
for (const name of ['protonet', 'ridge', 'svm']) {
  const head = createHead(name);
  const logits = head.logits(support, supportLabels, query, 3);
  const rows = logits.arraySync().map((r) => r.map((v) => v.toFixed(4)).join(' '));
  const pred = logits.argMax(1).arraySync();
  console.log(`${name.padEnd(8)} logits [${logits.shape}]: ${rows.join(' | ')}  argmax ${pred}`);
  tf.dispose([logits]);
  head.dispose();
}
tf.dispose([support, supportLabels, query]);
