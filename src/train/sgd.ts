/**
 * SGD with (Nesterov) momentum and weight decay, exactly PyTorch's `torch.optim.SGD` (dampening 0):
 *   g = grad + wd * p;  buf = mu * buf + g;  step = nesterov ? g + mu * buf : buf;  p -= lr * step.
 * (PyTorch starts buf at g on the first step, which equals mu * 0 + g.) Momentum buffers are tf
 * variables named after the parameters, so the optimizer state is checkpointable. On the native
 * backend each parameter's update is one fused kernel (src/backend/native/sgd.ts), bit-identical
 * to the tfjs ops used elsewhere.
 */
import type { StateRecord } from '../backbones/checkpoint.js';
import { nativeSgdActive, nativeSgdUpdate } from '../backend/native/sgd.js';
import { DataError, UsageError } from '../errors.js';
import { tf } from '../tf.js';

/** Hyper-parameters of the optimizer (the learning rate is given per step). */
export interface SgdOptions {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** Learning-rate multipliers by parameter name (the others 1), e.g. a smaller rate for one head. */
  lrScale?: Readonly<Record<string, number>>;
}

const BUFFER = 'momentum/';

/** A PyTorch-equivalent SGD over named variables, with saveable momentum buffers. */
export class Sgd {
  private readonly buffers: Record<string, tf.Variable> = {};
  /** Updates applied so far. */
  steps = 0;

  constructor(
    private readonly params: Readonly<Record<string, tf.Variable>>,
    private readonly options: SgdOptions,
  ) {
    if (options.nesterov && !(options.momentum > 0)) throw new UsageError('Nesterov momentum needs momentum > 0');
    for (const [name, scale] of Object.entries(options.lrScale ?? {})) {
      if (!(name in params)) throw new UsageError(`sgd: lrScale names '${name}', which is not a parameter`);
      if (!(Number.isFinite(scale) && scale > 0)) throw new UsageError(`sgd: lrScale of '${name}' must be a number > 0, found ${scale}`);
    }
    for (const [name, p] of Object.entries(params)) {
      this.buffers[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Applies one update with gradients by parameter name (every parameter needs one) at rate `lr`. */
  step(grads: Readonly<Record<string, tf.Tensor>>, baseLr: number): void {
    const { momentum: mu, nesterov, weightDecay: wd, lrScale } = this.options;
    const fused = nativeSgdActive();
    for (const [name, p] of Object.entries(this.params)) {
      const lr = baseLr * (lrScale?.[name] ?? 1);
      const grad = grads[name];
      if (!grad) throw new UsageError(`sgd: no gradient for parameter '${name}'`);
      const buf = this.buffers[name]!;
      if (fused && grad.dtype === 'float32' && tf.util.arraysEqual(grad.shape, p.shape)) {
        tf.tidy(() => {
          const { param, buffer } = nativeSgdUpdate(p, grad, buf, { lr, momentum: mu, weightDecay: wd, nesterov });
          if (buffer) buf.assign(buffer);
          p.assign(param);
        });
        continue;
      }
      tf.tidy(() => {
        const g = wd !== 0 ? grad.add(p.mul(wd)) : grad;
        let update = g;
        if (mu !== 0) {
          const next = buf.mul(mu).add(g);
          buf.assign(next);
          update = nesterov ? g.add(next.mul(mu)) : next;
        }
        p.assign(p.sub(update.mul(lr)));
      });
    }
    this.steps++;
  }

  /** The optimizer state for a checkpoint (the tensors are the live buffers: save, do not dispose). */
  state(): StateRecord {
    const record: StateRecord = { steps: this.steps };
    for (const [name, buf] of Object.entries(this.buffers)) record[`${BUFFER}${name}`] = buf;
    return record;
  }

  /** Restores a state written by `state()`; names and shapes must match. */
  restore(record: StateRecord): void {
    for (const [name, buf] of Object.entries(this.buffers)) {
      const value = record[`${BUFFER}${name}`];
      if (!(value instanceof tf.Tensor) || value.shape.join(',') !== buf.shape.join(',')) {
        throw new DataError(`checkpoint: optimizer momentum of '${name}' is missing or has the wrong shape`);
      }
      buf.assign(value);
    }
    const steps = record.steps;
    if (typeof steps !== 'number' || !Number.isSafeInteger(steps) || steps < 0) throw new DataError('checkpoint: optimizer step count is missing');
    this.steps = steps;
  }

  /** Frees the momentum buffers. */
  dispose(): void {
    for (const buf of Object.values(this.buffers)) buf.dispose();
  }
}
