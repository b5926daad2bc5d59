/**
 * The trained-model bundle: backbone (config, weights, batch-norm state) + head (name, options,
 * variables) + label transformation + dataset normalisation + image size, stored in one backbones
 * checkpoint file (atomic write). Training state (optimizer moments, RNG states, step) can ride
 * along in the same file.
 */
import {
  loadCheckpoint,
  saveCheckpoint,
  type JsonValue,
  type StateRecord,
} from '../backbones/checkpoint.js';
import type { Backbone } from '../backbones/types.js';
import { DataError, UsageError } from '../errors.js';
import { createHead } from '../heads/registry.js';
import type { Head } from '../heads/types.js';
import { tf } from '../tf.js';
import type { LabelTransform } from '../transforms/label-transform.js';
import type { ChannelStats } from '../transforms/normalization.js';
import { getLabelTransform } from '../transforms/registry.js';
import { createClassifiers, type LinearClassifiers } from '../objectives/classifier.js';
import { getObjective } from '../objectives/registry.js';

/** The `model/format` value of every trained-model file. */
export const MODEL_FORMAT = 'jointshot-model';
/** The layout version of the `model/*` entries this code writes and reads. */
export const MODEL_VERSION = 1;

/** Prefix of the model entries in a checkpoint's extra record (reserved: callers may not use it). */
const PREFIX = 'model/';
const HEAD_VARIABLE = `${PREFIX}head/`;
const CLASSIFIER_VARIABLE = `${PREFIX}classifier/`;

/** Height, width and channels of the images a model was trained on. */
export interface ModelImageSize {
  height: number;
  width: number;
  channels: number;
}

/** A trained model: everything the evaluator needs to embed, transform and score episodes. */
export interface TrainedModel {
  backbone: Backbone;
  /** The plain N-way head with its trained variables (lift it with `liftHead(head, transform.count)`). */
  head: Head;
  /** Registry name of the head (`createHead(headName, headOptions)` rebuilds it). */
  headName: string;
  headOptions: { [key: string]: JsonValue };
  transform: LabelTransform;
  /** Dataset the model was trained on; its normalisation constants are `normalization`. */
  dataset: string;
  normalization: ChannelStats;
  imageSize: ModelImageSize;
  /** Free-form description (training config, run summary...), saved as JSON. */
  info?: JsonValue;
  /** Present for whole-class models: their classifiers (the few-shot `head` then serves episodic evaluation). */
  wholeClass?: WholeClassModel;
}

/** The whole-class part of a model trained with `task: classify`: objective, class names, linear classifiers. */
export interface WholeClassModel {
  objective: string;
  classes: string[];
  classifiers: LinearClassifiers;
}

/** Training state stored next to the model in the same file. */
export interface ModelState {
  /** Optimizer slots (e.g. momentum buffers) by name. */
  optimizer?: StateRecord;
  /** Anything else (step counter, RNG states...); keys must not start with `model/`. */
  extra?: StateRecord;
}

/** A loaded model plus its stored training state; the caller disposes both (see `disposeLoadedModel`). */
export interface LoadedModel extends TrainedModel {
  optimizer: StateRecord;
  extra: StateRecord;
}

/** The model entries of the checkpoint's extra record. */
function modelEntries(model: TrainedModel): StateRecord {
  const entries: StateRecord = {
    [`${PREFIX}format`]: MODEL_FORMAT,
    [`${PREFIX}version`]: MODEL_VERSION,
    [`${PREFIX}headName`]: model.headName,
    [`${PREFIX}headOptions`]: model.headOptions,
    [`${PREFIX}headVariables`]: model.head.variables.length,
    [`${PREFIX}transform`]: model.transform.name,
    [`${PREFIX}dataset`]: model.dataset,
    [`${PREFIX}normalization`]: { mean: [...model.normalization.mean], std: [...model.normalization.std] },
    [`${PREFIX}imageSize`]: { ...model.imageSize },
    [`${PREFIX}info`]: model.info ?? null,
  };
  model.head.variables.forEach((variable, i) => {
    entries[`${HEAD_VARIABLE}${i}`] = variable;
  });
  if (model.wholeClass) {
    const { objective, classes, classifiers } = model.wholeClass;
    entries[`${PREFIX}wholeClass`] = { objective, classes, sizes: { ...classifiers.sizes }, ...(classifiers.cosineScale !== null ? { cosineScale: classifiers.cosineScale } : {}) };
    for (const [name, variable] of Object.entries(classifiers.variables)) entries[`${CLASSIFIER_VARIABLE}${name}`] = variable;
  }
  return entries;
}

/** Writes `model` (and optional training state) to `path` atomically (temp file, fsync, rename). */
export async function saveModel(path: string, model: TrainedModel, state: ModelState = {}): Promise<void> {
  const reserved = Object.keys(state.extra ?? {}).find((key) => key.startsWith(PREFIX));
  if (reserved !== undefined) throw new UsageError(`saveModel: extra key '${reserved}' uses the reserved prefix '${PREFIX}'`);
  await saveCheckpoint(path, {
    backbone: model.backbone,
    optimizer: state.optimizer ?? {},
    extra: { ...(state.extra ?? {}), ...modelEntries(model) },
  });
}

/** Disposes every tensor of a state record. */
export function disposeRecord(record: StateRecord): void {
  for (const value of Object.values(record)) if (value instanceof tf.Tensor) value.dispose();
}

/** Frees a loaded model: backbone, head and the tensors of its stored state. */
export function disposeLoadedModel(model: LoadedModel): void {
  model.backbone.dispose();
  model.head.dispose();
  model.wholeClass?.classifiers.dispose();
  disposeRecord(model.optimizer);
  disposeRecord(model.extra);
}

function jsonEntry(extra: StateRecord, key: string, path: string): JsonValue {
  const value = extra[`${PREFIX}${key}`];
  if (value === undefined || value instanceof tf.Tensor) {
    throw new DataError(`${path}: trained-model entry '${PREFIX}${key}' is missing or not a value`);
  }
  return value;
}

function readImageSize(value: JsonValue, path: string): ModelImageSize {
  const v = value as Partial<Record<keyof ModelImageSize, unknown>> | null;
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if (!v || typeof v !== 'object' || !ok(v.height) || !ok(v.width) || !ok(v.channels)) {
    throw new DataError(`${path}: trained-model image size should be { height, width, channels }, found ${JSON.stringify(value)}`);
  }
  return { height: v.height as number, width: v.width as number, channels: v.channels as number };
}

function readNormalization(value: JsonValue, path: string): ChannelStats {
  const v = value as { mean?: unknown; std?: unknown } | null;
  const numbers = (a: unknown) => Array.isArray(a) && a.every((n) => typeof n === 'number');
  if (!v || !numbers(v.mean) || !numbers(v.std) || (v.mean as number[]).length !== (v.std as number[]).length) {
    throw new DataError(`${path}: trained-model normalisation should be { mean: number[], std: number[] }, found ${JSON.stringify(value)}`);
  }
  return { mean: v.mean as number[], std: v.std as number[] };
}

/** Assigns the stored head variables (moving them out of `extra`), checking count and shapes. */
function restoreHeadVariables(head: Head, extra: StateRecord, stored: number, path: string): void {
  if (stored !== head.variables.length) {
    throw new DataError(`${path}: the file has ${stored} head variables but head '${head.name}' has ${head.variables.length}`);
  }
  head.variables.forEach((variable, i) => {
    const key = `${HEAD_VARIABLE}${i}`;
    const value = extra[key];
    if (!(value instanceof tf.Tensor) || value.shape.join(',') !== variable.shape.join(',')) {
      throw new DataError(`${path}: head variable ${i} should be a tensor of shape [${variable.shape.join(', ')}]`);
    }
    variable.assign(value);
  });
}

/** Rebuilds the whole-class part of a model from its entries (none for episodic models). */
function restoreWholeClass(extra: StateRecord, dim: number, path: string): WholeClassModel | undefined {
  const entry = extra[`${PREFIX}wholeClass`];
  if (entry === undefined || entry === null) return undefined;
  const v = entry as { objective?: unknown; classes?: unknown; sizes?: unknown; cosineScale?: unknown };
  if (typeof v.objective !== 'string' || !Array.isArray(v.classes) || !v.sizes || typeof v.sizes !== 'object') {
    throw new DataError(`${path}: whole-class entry should be { objective, classes, sizes }, found ${JSON.stringify(entry)}`);
  }
  getObjective(v.objective);
  if (v.cosineScale !== undefined && !(typeof v.cosineScale === 'number' && v.cosineScale > 0)) throw new DataError(`${path}: whole-class cosineScale should be a positive number, found ${JSON.stringify(v.cosineScale)}`);
  const classifiers = createClassifiers(v.sizes as Record<string, number>, dim, null, (v.cosineScale as number | undefined) ?? null);
  try {
    for (const [name, variable] of Object.entries(classifiers.variables)) {
      const value = extra[`${CLASSIFIER_VARIABLE}${name}`];
      if (!(value instanceof tf.Tensor) || value.shape.join(',') !== variable.shape.join(',')) {
        throw new DataError(`${path}: classifier variable '${name}' should be a tensor of shape [${variable.shape.join(', ')}]`);
      }
      variable.assign(value);
    }
  } catch (error) {
    classifiers.dispose();
    throw error;
  }
  return { objective: v.objective, classes: v.classes as string[], classifiers };
}

/**
 * Reads a model written by `saveModel`. Throws a one-line DataError for a plain backbone
 * checkpoint (no model entries) or a damaged file; the result belongs to the caller.
 */
export async function loadModel(path: string): Promise<LoadedModel> {
  const { backbone, optimizer, extra } = await loadCheckpoint(path);
  let head: Head | undefined;
  let wholeClass: WholeClassModel | undefined;
  try {
    if (extra[`${PREFIX}format`] !== MODEL_FORMAT) {
      throw new DataError(`${path}: a backbone checkpoint, not a trained model (no '${PREFIX}format' entry); save it with saveModel`);
    }
    const version = extra[`${PREFIX}version`];
    if (version !== MODEL_VERSION) {
      throw new DataError(`${path}: trained-model version ${JSON.stringify(version)} is not supported (expected ${MODEL_VERSION})`);
    }
    const headName = jsonEntry(extra, 'headName', path) as string;
    const headOptions = jsonEntry(extra, 'headOptions', path) as { [key: string]: JsonValue };
    const transform = getLabelTransform(jsonEntry(extra, 'transform', path) as string);
    head = createHead(headName, headOptions);
    restoreHeadVariables(head, extra, jsonEntry(extra, 'headVariables', path) as number, path);
    const imageSize = readImageSize(jsonEntry(extra, 'imageSize', path), path);
    wholeClass = restoreWholeClass(extra, backbone.outputDim(imageSize.height, imageSize.width), path);
    const model: LoadedModel = {
      backbone,
      head,
      headName,
      headOptions,
      transform,
      dataset: jsonEntry(extra, 'dataset', path) as string,
      normalization: readNormalization(jsonEntry(extra, 'normalization', path), path),
      imageSize,
      info: jsonEntry(extra, 'info', path),
      ...(wholeClass ? { wholeClass } : {}),
      optimizer,
      extra: {},
    };
    // Hand the caller only its own extra entries; the model entries (head tensors) are freed here.
    for (const [key, value] of Object.entries(extra)) {
      if (!key.startsWith(PREFIX)) model.extra[key] = value;
      else if (value instanceof tf.Tensor) value.dispose();
    }
    return model;
  } catch (error) {
    backbone.dispose();
    head?.dispose();
    wholeClass?.classifiers.dispose();
    disposeRecord(optimizer);
    disposeRecord(extra);
    throw error;
  }
}
