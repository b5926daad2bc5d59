/**
 * The linear classifiers an objective puts on the embedding (`class`, `joint`, `single`,
 * `transformation`...): kernel [d, K] and bias [K] each, initialised as the SLA reference's CIFAR
 * ResNet (Kaiming normal, fan-in, gain sqrt(2); zero bias) from a seeded generator.
 */
import { normalSampler } from '../backbones/init.js';
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';
import type { ClassifierOutputs } from './types.js';

/** The set of linear classifiers of a whole-class model. */
export interface LinearClassifiers {
  /** Output size of each classifier, by name. */
  readonly sizes: Readonly<Record<string, number>>;
  /** Trainable variables by stable name: `classifier/<name>/kernel` and `classifier/<name>/bias`. */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  /** LDAM's normalised classifiers: logits = scale * cos(embedding, weight column), no bias; null = affine. */
  readonly cosineScale: number | null;
  /** Logits of every classifier on embeddings [R, d]. */
  apply(embeddings: tf.Tensor2D): ClassifierOutputs;
  dispose(): void;
}

/** Variable names of classifier `name`. */
export function classifierVariableNames(name: string): { kernel: string; bias: string } {
  return { kernel: `classifier/${name}/kernel`, bias: `classifier/${name}/bias` };
}

/** Rows (axis 1) or columns (axis 0) scaled to unit L2 norm (torch's F.normalize, eps 1e-12). */
function unitNorm(x: tf.Tensor2D, axis: 0 | 1): tf.Tensor2D {
  return tf.tidy(() => x.div(tf.maximum(tf.norm(x, 'euclidean', axis, true), 1e-12)) as tf.Tensor2D);
}

/**
 * Builds the classifiers `sizes` on a `dim`-wide embedding; `rng` null gives zeros (about to be
 * loaded). `cosineScale` makes them LDAM-DRW's NormedLinear (normalised features and weight
 * columns, no bias) with logits multiplied by the scale.
 */
export function createClassifiers(sizes: Readonly<Record<string, number>>, dim: number, rng: Rng | null, cosineScale: number | null = null): LinearClassifiers {
  const normal = rng ? normalSampler(rng) : null;
  const variables: Record<string, tf.Variable> = {};
  const std = Math.sqrt(2 / dim);
  for (const [name, size] of Object.entries(sizes)) {
    const values = new Float32Array(dim * size);
    if (normal) for (let i = 0; i < values.length; i++) values[i] = normal() * std;
    const names = classifierVariableNames(name);
    variables[names.kernel] = tf.tidy(() => tf.variable(tf.tensor2d(values, [dim, size]), true));
    if (cosineScale === null) variables[names.bias] = tf.tidy(() => tf.variable(tf.zeros([size]), true));
  }
  return {
    sizes: { ...sizes },
    variables,
    cosineScale,
    apply(embeddings) {
      const out: Record<string, tf.Tensor2D> = {};
      for (const name of Object.keys(sizes)) {
        const { kernel, bias } = classifierVariableNames(name);
        out[name] = tf.tidy(() =>
          cosineScale === null
            ? (tf.add(tf.matMul(embeddings, variables[kernel]!), variables[bias]!) as tf.Tensor2D)
            : (tf.matMul(unitNorm(embeddings, 1), unitNorm(variables[kernel] as tf.Variable<tf.Rank.R2>, 0)).mul(cosineScale) as tf.Tensor2D),
        );
      }
      return out;
    },
    dispose() {
      for (const v of Object.values(variables)) v.dispose();
    },
  };
}
