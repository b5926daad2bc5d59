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
  /** Logits of every classifier on embeddings [R, d]. */
  apply(embeddings: tf.Tensor2D): ClassifierOutputs;
  dispose(): void;
}

/** Variable names of classifier `name`. */
export function classifierVariableNames(name: string): { kernel: string; bias: string } {
  return { kernel: `classifier/${name}/kernel`, bias: `classifier/${name}/bias` };
}

/** Builds the classifiers `sizes` on a `dim`-wide embedding; `rng` null gives zeros (about to be loaded). */
export function createClassifiers(sizes: Readonly<Record<string, number>>, dim: number, rng: Rng | null): LinearClassifiers {
  const normal = rng ? normalSampler(rng) : null;
  const variables: Record<string, tf.Variable> = {};
  const std = Math.sqrt(2 / dim);
  for (const [name, size] of Object.entries(sizes)) {
    const values = new Float32Array(dim * size);
    if (normal) for (let i = 0; i < values.length; i++) values[i] = normal() * std;
    const names = classifierVariableNames(name);
    variables[names.kernel] = tf.tidy(() => tf.variable(tf.tensor2d(values, [dim, size]), true));
    variables[names.bias] = tf.tidy(() => tf.variable(tf.zeros([size]), true));
  }
  return {
    sizes: { ...sizes },
    variables,
    apply(embeddings) {
      const out: Record<string, tf.Tensor2D> = {};
      for (const name of Object.keys(sizes)) {
        const { kernel, bias } = classifierVariableNames(name);
        out[name] = tf.tidy(() => tf.add(tf.matMul(embeddings, variables[kernel]!), variables[bias]!) as tf.Tensor2D);
      }
      return out;
    },
    dispose() {
      for (const v of Object.values(variables)) v.dispose();
    },
  };
}
