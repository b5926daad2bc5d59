// A head as a plugin: the cosine-similarity head of docs/extending.md, registered as `my-cosine`
// from outside jointshot's sources. Use it from the CLI:
//   npx jointshot train --plugin docs/examples/plugins/cosine-head.mjs --head my-cosine --preset quick --out runs/my-cosine
//   npx jointshot eval --plugin docs/examples/plugins/cosine-head.mjs --model runs/my-cosine/best.jsm --dataset synthetic --episodes 100 --out runs/my-cosine/eval
// jointshot calls `register` with its public API (the same objects the CLI runs on).
export default function register(jointshot) {
  const { tf, UsageError, readHeadOptions, requirePositive } = jointshot;

  // Unit-length rows; the epsilon keeps zero rows finite.
  const unitRows = (x) => tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))));

  jointshot.registerHead('my-cosine', (options) => {
    const { temperature } = readHeadOptions('my-cosine', { temperature: 10 }, options);
    requirePositive('my-cosine', 'temperature', temperature);
    const scale = tf.tidy(() => tf.variable(tf.scalar(1), true));
    return {
      name: 'my-cosine',
      variables: [scale],
      // logits[q, c] = scale * temperature * cos(query q, mean support embedding of class c)
      logits(support, supportLabels, query, nWay) {
        const counts = new Float32Array(nWay);
        for (const y of supportLabels.dataSync()) counts[y] += 1;
        if (counts.includes(0)) throw new UsageError(`head 'my-cosine': class ${counts.indexOf(0)} has no support example`);
        return tf.tidy(() => {
          const onehot = tf.oneHot(supportLabels, nWay).toFloat();
          const prototypes = tf.div(tf.matMul(onehot, support, true, false), tf.tensor2d(counts, [nWay, 1]));
          const cosines = tf.matMul(unitRows(query), unitRows(prototypes), false, true);
          return tf.mul(tf.mul(scale, temperature), cosines);
        });
      },
      dispose() {
        scale.dispose();
      },
    };
  });
}
