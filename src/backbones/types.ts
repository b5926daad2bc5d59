/** The backbone contract: images in, embeddings out, with train/inference modes and saveable state. */
import type { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';

/** How a backbone turns its last feature map into an embedding. */
export type Pooling = 'flatten' | 'avg';

/** Options of one forward pass. */
export interface EmbedOptions {
  /** true: batch statistics, running-average updates, dropout/DropBlock on. Default false. */
  training?: boolean;
  /** Randomness for dropout/DropBlock in training; default the backbone's own seeded generator. */
  rng?: Rng;
}

/** A backbone's configuration: `name` picks the architecture in the registry; the rest is its own. */
export interface BackboneConfig {
  name: string;
  /** Seed of the weight initialisation (and of the backbone's own dropout generator). */
  seed?: number;
  [option: string]: unknown;
}

/** A feature extractor: float32 NHWC images (already normalised) -> [N, d] embeddings. */
export interface Backbone {
  readonly name: string;
  /** The full configuration, defaults filled in; enough to rebuild the architecture. */
  readonly config: Readonly<BackboneConfig>;
  /** Trainable variables by stable name (e.g. `block1/conv1/kernel`). */
  readonly trainable: Readonly<Record<string, tf.Variable>>;
  /** The trainable variables as a list, for optimizers. */
  readonly variables: tf.Variable[];
  /** Non-trainable state by stable name: batch-norm running means and variances. */
  readonly state: Readonly<Record<string, tf.Variable>>;
  /** Training-mode forward passes so far (drives the DropBlock schedule); saved in checkpoints. */
  trainingCalls: number;
  /** The backbone's own dropout generator (used when `embed` gets no rng); saved in checkpoints. */
  rng: Rng;
  /** Embeds a batch [N, H, W, C] -> [N, outputDim(H, W)]. */
  embed(x: tf.Tensor4D, options?: EmbedOptions): tf.Tensor2D;
  /** The embedding size for H x W inputs. */
  outputDim(height: number, width: number): number;
  /** Frees all variables. */
  dispose(): void;
}

/** How to build a backbone besides its configuration. */
export interface BuildOptions {
  /** false: zero weights instead of the seeded init (they are about to be overwritten, e.g. by a checkpoint). */
  initialize?: boolean;
}

/** Builds a backbone from its configuration (defaults filled in by the factory). */
export type BackboneFactory = (config: BackboneConfig, options?: BuildOptions) => Backbone;
