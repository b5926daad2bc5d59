/** Functional layers on raw tf ops: a store of named variables, conv (no bias) and batch norm. */
import { tf } from '../tf.js';
import { nativeBatchNormActActive, nativeBatchNormActive, nativeBatchNormTrain } from '../backend/native/batchnorm.js';
import { nativeConvBnAct, nativeConvBnActChain, type ChainStage } from '../backend/native/conv-bn.js';
import { leakyRelu } from './activations.js';
import { batchNormInference, batchNormTrain, BN_EPSILON, updateRunningStats } from './batchnorm.js';
import { kaimingNormalKernel } from './init.js';

/** Named tf.Variables of one backbone: trainable weights and non-trainable state. */
export class ParameterStore {
  readonly trainable: Record<string, tf.Variable> = {};
  readonly state: Record<string, tf.Variable> = {};

  /** Registers a trainable variable under `name`, taking ownership of `initial`. */
  addTrainable(name: string, initial: tf.Tensor): tf.Variable {
    return this.add(this.trainable, name, initial, true);
  }

  /** Registers a non-trainable state variable under `name`, taking ownership of `initial`. */
  addState(name: string, initial: tf.Tensor): tf.Variable {
    return this.add(this.state, name, initial, false);
  }

  /** Frees every variable. */
  dispose(): void {
    for (const v of [...Object.values(this.trainable), ...Object.values(this.state)]) v.dispose();
  }

  private add(into: Record<string, tf.Variable>, name: string, initial: tf.Tensor, trainable: boolean) {
    if (name in this.trainable || name in this.state) throw new Error(`duplicate parameter name ${name}`);
    const variable = tf.variable(initial, trainable);
    initial.dispose();
    into[name] = variable;
    return variable;
  }
}

/** Batch norm with learnable gamma/beta (init 1/0) and running mean/variance (init 0/1). */
export class BatchNormLayer {
  private readonly gamma: tf.Variable<tf.Rank.R1>;
  private readonly beta: tf.Variable<tf.Rank.R1>;
  private readonly runningMean: tf.Variable<tf.Rank.R1>;
  private readonly runningVar: tf.Variable<tf.Rank.R1>;

  constructor(store: ParameterStore, prefix: string, channels: number) {
    this.gamma = store.addTrainable(`${prefix}/gamma`, tf.ones([channels])) as tf.Variable<tf.Rank.R1>;
    this.beta = store.addTrainable(`${prefix}/beta`, tf.zeros([channels])) as tf.Variable<tf.Rank.R1>;
    this.runningMean = store.addState(`${prefix}/runningMean`, tf.zeros([channels])) as tf.Variable<tf.Rank.R1>;
    this.runningVar = store.addState(`${prefix}/runningVar`, tf.ones([channels])) as tf.Variable<tf.Rank.R1>;
  }

  /**
   * The inference-mode affine map per channel, k = gamma / sqrt(runningVar + eps) and
   * shift = beta - runningMean * k, for folding into the preceding convolution.
   */
  folded(): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
    const sources = [this.gamma, this.beta, this.runningMean, this.runningVar].map((v) => v.dataId);
    const kept = this.foldedValues;
    if (kept && kept.backend === tf.getBackend() && kept.sources.every((id, i) => id === sources[i])) {
      return { scale: tf.tensor1d(kept.scale), shift: tf.tensor1d(kept.shift) };
    }
    const folded = tf.tidy(() => {
      const scale = this.gamma.mul(this.runningVar.add(BN_EPSILON).rsqrt()) as tf.Tensor1D;
      return { scale, shift: this.beta.sub(this.runningMean.mul(scale)) as tf.Tensor1D };
    });
    this.foldedValues = { sources, backend: tf.getBackend(), scale: (folded.scale.dataSync() as Float32Array).slice(), shift: (folded.shift.dataSync() as Float32Array).slice() };
    return folded;
  }

  /**
   * The last folded() values and what they came from: the variables' data ids (a variable gets a
   * new one at every assign, and tensor data never changes) and the backend. Saves the 5 small
   * ops per layer and batch of an evaluation (ResNet-18: 80 ops, 3-4 ms of a 30 ms batch).
   */
  private foldedValues?: { sources: object[]; backend: string; scale: Float32Array; shift: Float32Array };

  /**
   * Normalises `x`: batch statistics (and running-average update) in training, running ones
   * otherwise; then adds `residual` and applies the activation `leak` (ActOptions). In training
   * on the native backend that is one kernel pair (nativeBatchNormActActive), elsewhere the
   * separate ops: add, then tf.relu (leak 0) or activations.ts's leakyRelu (leak != 0).
   */
  apply(x: tf.Tensor4D, training: boolean, options: ActOptions = {}): tf.Tensor4D {
    const { leak = null } = options;
    const residual = () => (typeof options.residual === 'function' ? options.residual() : options.residual);
    const onStats = (mean: tf.Tensor1D, variance: tf.Tensor1D) =>
      updateRunningStats(this.runningMean, this.runningVar, mean, variance, x.size / x.shape[3]);
    if (training && fusesActivation(leak)) {
      return nativeBatchNormTrain(x, this.gamma, this.beta, onStats, BN_EPSILON, { leak, residual: residual() });
    }
    let y = training
      ? batchNormTrain(x, this.gamma, this.beta, onStats)
      : batchNormInference(x, this.gamma, this.beta, this.runningMean, this.runningVar);
    const skip = residual();
    if (skip) y = y.add(skip) as tf.Tensor4D;
    if (leak === null) return y;
    return leak === 0 ? tf.relu(y) : leakyRelu(y, leak);
  }
}

/**
 * What follows a batch norm: `residual` is added (a function is called after the convolution
 * of ConvBn, so the forward's op order stays conv, residual, batch norm), then `leak`: null/
 * undefined = no activation, 0 = ReLU, else leaky ReLU with that slope.
 */
export interface ActOptions {
  leak?: number | null;
  residual?: tf.Tensor4D | (() => tf.Tensor4D);
}

/** Whether a training batch norm with activation `leak` runs as one native kernel pair here. */
function fusesActivation(leak: number | null): boolean {
  // The backward reads the activation's mask off its output: needs ReLU or a positive slope.
  return nativeBatchNormActActive() && (leak === null || leak >= 0);
}

/**
 * A bias-free convolution followed by batch norm (the unit of every backbone). Padding is
 * PyTorch's `size // 2` on each side: tfjs's 'same' puts a stride-2 conv's extra padding at the
 * bottom/right instead, which would shift every window by one pixel against PyTorch.
 */
export class ConvBn {
  private readonly kernel: tf.Variable<tf.Rank.R4>;
  private readonly bn: BatchNormLayer;
  private readonly pad: 'same' | number;

  constructor(
    store: ParameterStore,
    prefix: string,
    inC: number,
    outC: number,
    size: number,
    normal: (() => number) | null,
    private readonly stride = 1,
  ) {
    this.kernel = store.addTrainable(
      `${prefix}/kernel`,
      kaimingNormalKernel([size, size, inC, outC], normal),
    ) as tf.Variable<tf.Rank.R4>;
    this.bn = new BatchNormLayer(store, `${prefix}/bn`, outC);
    // Stride 1 with an odd kernel: 'same' is exactly size // 2 on each side.
    this.pad = stride === 1 ? 'same' : Math.floor(size / 2);
  }

  /** conv, batch norm, then `options`' residual add and activation (BatchNormLayer.apply). */
  apply(x: tf.Tensor4D, training: boolean, options: ActOptions = {}): tf.Tensor4D {
    return this.bn.apply(tf.conv2d(x, this.kernel, this.stride, this.pad), training, options);
  }

  /**
   * Inference as one native oneDNN primitive: act(bn(conv(x)) + residual) with the batch norm's
   * running statistics as per-channel post-ops (Winograd kernels: folded into the filter
   * inside the addon, docs/native-backend.md); `leak` null = no activation, 0 = ReLU, else
   * leaky ReLU. Only where `fusedInferenceActive()` (docs/performance.md).
   */
  inferFused(x: tf.Tensor4D, leak: number | null, residual?: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const { scale, shift } = this.bn.folded();
      return nativeConvBnAct(x, this.kernel, scale, shift, { strides: this.stride, pad: this.pad, leak, residual });
    });
  }

  /** This unit as a stage of `inferChain` (its scale and shift are new tensors: inside a tidy). */
  chainStage(leak: number | null): ChainStage {
    const { scale, shift } = this.bn.folded();
    return { filter: this.kernel, scale, shift, strides: this.stride, pad: this.pad, leak };
  }
}

/**
 * Inference of units one after another, `leaks[i]` after unit i and `residual` added before the
 * last activation: one native call that keeps the activations between units in oneDNN's layouts
 * where `convChainActive()`, else one `inferFused` per unit (the same bits: the same primitives run).
 */
export function inferChain(units: ConvBn[], leaks: Array<number | null>, x: tf.Tensor4D, residual?: tf.Tensor4D): tf.Tensor4D {
  if (convChainActive()) return tf.tidy(() => nativeConvBnActChain(x, units.map((u, i) => u.chainStage(leaks[i]!)), residual));
  let out = x;
  units.forEach((unit, i) => {
    const previous = out;
    out = unit.inferFused(out, leaks[i]!, i === units.length - 1 ? residual : undefined);
    if (previous !== x) previous.dispose();
  });
  return out;
}

/** Whether `inferChain` runs as one native call (fused inference active; JOINTSHOT_NATIVE_CONV_CHAIN=0, read per call, turns it off for A/B). */
export function convChainActive(): boolean {
  return fusedInferenceActive() && process.env.JOINTSHOT_NATIVE_CONV_CHAIN !== '0';
}

/** Whether inference should use `ConvBn.inferFused` (the native backend, where it is one oneDNN call). */
export function fusedInferenceActive(): boolean {
  return nativeBatchNormActive();
}
