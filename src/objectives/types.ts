/**
 * The whole-class training objectives of SLA (the reference code's modes): each says which linear
 * classifiers it puts on the embedding, its training loss on a batch of transformed copies, and the
 * inference read-outs its classifiers offer. A new objective is one file plus one registry line.
 */
import type { tf } from '../tf.js';

/** Logits of each named classifier on every backbone row (rows b*M + j: copy j of image b; M = 1 without copies). */
export type ClassifierOutputs = Readonly<Record<string, tf.Tensor2D>>;

/**
 * The class-level cross-entropy an objective uses for its N-way (or joint) terms: plain CE by
 * default; long-tail losses (class-balanced weights, LDAM margins) replace it.
 * `labels` are the row labels in 0..logits.shape[1]-1; `classOf` maps a column/label to its class
 * (identity for N-way logits, floor(c / M) for joint logits).
 */
export type ClassLoss = (logits: tf.Tensor2D, labels: tf.Tensor1D, classOf: (column: number) => number) => tf.Scalar;

/** Options of an objective's loss. */
export interface ObjectiveOptions {
  /** M, the number of transformation copies per image. */
  copies: number;
  /** N, the number of classes. */
  classes: number;
  /** The reference's `--with-large-loss`: the joint CE multiplied by M (sla, sla+sd). */
  largeLoss: boolean;
  /** Self-distillation temperature T (sla+sd). */
  temperature: number;
  /** The class-level cross-entropy (plain CE unless a long-tail loss is chosen). */
  classLoss: ClassLoss;
}

/** Reads N-way logits [B, N] out of the classifier outputs on B*M rows. */
export type Readout = (outputs: ClassifierOutputs, copies: number, classes: number) => tf.Tensor2D;

/** A whole-class training objective. */
export interface Objective {
  readonly name: string;
  /** One line for `--help` and docs. */
  readonly description: string;
  /** true: the batch goes through the backbone as all M copies; false: the original images only. */
  readonly usesCopies: boolean;
  /** true: only meaningful with a transformation set of M > 1 copies. */
  readonly needsTransform: boolean;
  /** Output size of each linear classifier on the embedding, by name. */
  classifiers(classes: number, copies: number): Record<string, number>;
  /** Mean training loss of a batch; `labels` [B] are class labels of the B original images. */
  loss(outputs: ClassifierOutputs, labels: tf.Tensor1D, options: ObjectiveOptions): tf.Scalar;
  /** The test-time read-outs this objective's model offers, by inference name (`single` first). */
  readonly inferences: Readonly<Record<string, Readout>>;
}
