/**
 * The residual basic block of He et al. (2016) shared by the CIFAR ResNets and ResNet-18:
 * conv3x3(stride)-BN-ReLU, conv3x3-BN, plus the shortcut, then ReLU. Shortcuts: identity;
 * option A (parameter-free: keep every other row and column, zero-pad the new channels) as the
 * CIFAR ResNets of hankook/SLA; or projection (1x1 conv with the block's stride + BN) as
 * torchvision's ResNet-18.
 */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import { ConvBn, fusedInferenceActive, inferChain, type ParameterStore } from './layers.js';

/** How a block's input reaches its output sum. */
export type Shortcut = 'identity' | 'optionA' | 'projection';

/**
 * Option-A shortcut: x[:, ::stride, ::stride, :] (PyTorch's AvgPool2d(1, stride)) with zero
 * channels appended up to `outC`. Built from reshape/slice/pad, whose gradients are cheap copies
 * on every backend.
 */
export function optionAShortcut(x: tf.Tensor4D, stride: number, outC: number): tf.Tensor4D {
  const [n, height, width, channels] = x.shape;
  let sub = x;
  if (stride > 1) {
    const h = Math.ceil(height / stride);
    const w = Math.ceil(width / stride);
    const even = h * stride === height && w * stride === width;
    const padded = even ? x : x.pad([[0, 0], [0, h * stride - height], [0, w * stride - width], [0, 0]]);
    sub = padded
      .reshape([n * h, stride, w, stride * channels])
      .slice([0, 0, 0, 0], [n * h, 1, w, channels])
      .reshape([n, h, w, channels]) as tf.Tensor4D;
  }
  return outC > channels ? (sub.pad([[0, 0], [0, 0], [0, 0], [0, outC - channels]]) as tf.Tensor4D) : sub;
}

/** conv3x3-BN-ReLU-conv3x3-BN + shortcut, ReLU; variables under `prefix`. */
export class BasicBlock {
  private readonly conv1: ConvBn;
  private readonly conv2: ConvBn;
  private readonly projection: ConvBn | null;

  constructor(
    store: ParameterStore,
    prefix: string,
    inC: number,
    private readonly outC: number,
    private readonly stride: number,
    private readonly shortcut: Shortcut,
    normal: (() => number) | null,
  ) {
    if (shortcut === 'identity' && (stride !== 1 || inC !== outC)) {
      throw new UsageError(`${prefix}: an identity shortcut needs stride 1 and equal channels, found stride ${stride}, ${inC} -> ${outC}: use 'optionA' or 'projection'`);
    }
    if (shortcut === 'optionA' && outC < inC) throw new UsageError(`${prefix}: an option-A shortcut only adds channels, found ${inC} -> ${outC}: use 'projection'`);
    this.conv1 = new ConvBn(store, `${prefix}/conv1`, inC, outC, 3, normal, stride);
    this.conv2 = new ConvBn(store, `${prefix}/conv2`, outC, outC, 3, normal);
    this.projection = shortcut === 'projection' ? new ConvBn(store, `${prefix}/shortcut`, inC, outC, 1, normal, stride) : null;
  }

  /** The block's output for input `x` [N, H, W, inC]. */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const fused = !training && fusedInferenceActive();
    let skip: tf.Tensor4D;
    if (this.projection) skip = fused ? this.projection.inferFused(x, null) : this.projection.apply(x, training);
    else if (this.shortcut === 'optionA') skip = optionAShortcut(x, this.stride, this.outC);
    else skip = x;
    if (fused) return inferChain([this.conv1, this.conv2], [0, 0], x, skip);
    return this.conv2.apply(this.conv1.apply(x, training, { leak: 0 }), training, { leak: 0, residual: skip });
  }
}

/** Side of a map after `times` stride-2 convs with PyTorch padding (ceil halving). */
export function halvedSide(side: number, times: number): number {
  let s = side;
  for (let i = 0; i < times; i++) s = Math.ceil(s / 2);
  return s;
}

/**
 * Builds stages of `blocks` basic blocks each (stage i has widths[i] channels; stride 2 at the
 * first block of every stage but the first), named `stage{i}/block{j}`; `changing` is the
 * shortcut of blocks whose shape changes.
 */
export function buildStages(
  store: ParameterStore,
  inC: number,
  widths: number[],
  blocks: number[],
  changing: Exclude<Shortcut, 'identity'>,
  normal: (() => number) | null,
): BasicBlock[] {
  const out: BasicBlock[] = [];
  let channels = inC;
  widths.forEach((outC, i) => {
    for (let j = 0; j < blocks[i]!; j++) {
      const stride = i > 0 && j === 0 ? 2 : 1;
      const shortcut = stride === 1 && channels === outC ? 'identity' : changing;
      out.push(new BasicBlock(store, `stage${i + 1}/block${j + 1}`, channels, outC, stride, shortcut, normal));
      channels = outC;
    }
  });
  return out;
}
