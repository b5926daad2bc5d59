/** Shared machinery of the built-in backbones: variables, modes, pooling, input checks. */
import { UsageError } from '../errors.js';
import { tf } from '../tf.js';
import { createRng, type Rng } from '../util/rng.js';
import type { Backbone, BackboneConfig, BuildOptions, EmbedOptions, Pooling } from './types.js';
import { normalSampler } from './init.js';
import { ParameterStore } from './layers.js';

/** What a feature extractor sees during one forward pass. */
export interface ForwardContext {
  training: boolean;
  rng: Rng;
  /** Training-mode passes so far, this one included. */
  trainingCalls: number;
}

/** A backbone = a feature-map extractor + flatten or global average pooling. */
export abstract class BackboneBase implements Backbone {
  readonly trainable: Record<string, tf.Variable>;
  readonly state: Record<string, tf.Variable>;
  readonly variables: tf.Variable[];
  trainingCalls = 0;
  rng: Rng;
  protected readonly store = new ParameterStore();
  /** The weight-init sampler, used while subclasses build their layers (null: zero weights). */
  protected readonly normal: (() => number) | null;

  protected constructor(
    readonly name: string,
    readonly config: Readonly<BackboneConfig> & { seed: number; inChannels: number; pooling: Pooling },
    options: BuildOptions = {},
  ) {
    this.trainable = this.store.trainable;
    this.state = this.store.state;
    this.variables = [];
    this.normal = options.initialize === false ? null : normalSampler(createRng(`${config.seed}:init`));
    this.rng = createRng(`${config.seed}:dropout`);
  }

  /** Call at the end of a subclass constructor, once all variables exist. */
  protected finishBuild(): void {
    this.variables.push(...Object.values(this.trainable));
  }

  /** The last feature map [N, h, w, C] of `x`. */
  protected abstract features(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D;

  /** Side and channels of the last feature map for H x W inputs. */
  protected abstract featureShape(height: number, width: number): [number, number, number];

  embed(x: tf.Tensor4D, options: EmbedOptions = {}): tf.Tensor2D {
    this.checkInput(x);
    const training = options.training ?? false;
    if (training) this.trainingCalls++;
    const context = { training, rng: options.rng ?? this.rng, trainingCalls: this.trainingCalls };
    return tf.tidy(() => {
      const map = this.features(x, context);
      const pooled = this.config.pooling === 'avg' ? globalAveragePool(map) : map;
      return pooled.reshape([x.shape[0], -1]) as tf.Tensor2D;
    });
  }

  outputDim(height: number, width: number): number {
    const [h, w, c] = this.featureShape(height, width);
    return this.config.pooling === 'avg' ? c : h * w * c;
  }

  dispose(): void {
    this.store.dispose();
  }

  private checkInput(x: tf.Tensor4D): void {
    if (x.rank !== 4 || x.dtype !== 'float32' || x.shape[3] !== this.config.inChannels) {
      throw new UsageError(
        `${this.name}: expected float32 NHWC images [N, H, W, ${this.config.inChannels}], found ${x.dtype} [${x.shape.join(', ')}]`,
      );
    }
    const [h, w] = this.featureShape(x.shape[1], x.shape[2]);
    if (h < 1 || w < 1) {
      throw new UsageError(`${this.name}: images of ${x.shape[1]}x${x.shape[2]} are too small (need at least 16x16)`);
    }
  }
}

/**
 * The mean over each channel's map, [N, h, w, C] -> [N, C], as one average pool over the whole
 * map: its gradient spreads dy / (h w) in one pass, where mean's gradient builds a ones tensor the
 * size of the map, multiplies it in and divides (three passes and a fresh allocation per step).
 */
export function globalAveragePool(map: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = map.shape;
  return tf.tidy(() => tf.avgPool(map, [h, w], 1, 'valid').reshape([n, c]));
}

/** Side after `times` 2x2 VALID poolings. */
export function pooledSide(side: number, times: number): number {
  let s = side;
  for (let i = 0; i < times; i++) s = Math.floor(s / 2);
  return s;
}

/** A positive integer option, or a UsageError naming it. */
export function positiveInt(name: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new UsageError(`${name}: option '${option}' must be a positive integer, found ${JSON.stringify(value)}`);
  }
  return value;
}

/** A list of `length` positive integers (a single number is repeated), or a UsageError. */
export function widthList(name: string, option: string, value: unknown, length: number): number[] {
  const list = typeof value === 'number' ? Array<number>(length).fill(value) : value;
  if (!Array.isArray(list) || list.length !== length) {
    throw new UsageError(`${name}: option '${option}' must be a number or ${length} numbers, found ${JSON.stringify(value)}`);
  }
  return list.map((v) => positiveInt(name, option, v));
}

/** Throws a UsageError naming any option of `config` outside `known` (catches typos like `width`). */
export function rejectUnknownOptions(name: string, config: BackboneConfig, known: readonly string[]): void {
  const allowed = new Set(['name', 'seed', 'inChannels', 'pooling', ...known]);
  const unknown = Object.keys(config).filter((key) => !allowed.has(key));
  if (unknown.length > 0) {
    throw new UsageError(`${name}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; expected ${[...allowed].filter((k) => k !== 'name').join(', ')}`);
  }
}

/** The common options (seed, inChannels, pooling) with defaults, or a UsageError. */
export function commonOptions(name: string, config: BackboneConfig): { seed: number; inChannels: number; pooling: Pooling } {
  const seed = config.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new UsageError(`${name}: option 'seed' must be a number, found ${JSON.stringify(seed)}`);
  }
  const pooling = config.pooling ?? 'flatten';
  if (pooling !== 'flatten' && pooling !== 'avg') {
    throw new UsageError(`${name}: option 'pooling' must be 'flatten' or 'avg', found ${JSON.stringify(pooling)}`);
  }
  return { seed, inChannels: positiveInt(name, 'inChannels', config.inChannels ?? 3), pooling };
}
