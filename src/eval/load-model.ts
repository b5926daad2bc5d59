/**
 * Loading the model to evaluate from one file: a trained-model bundle (src/train/model.ts: head,
 * transformation, normalisation and image size inside) or a bare backbone checkpoint (the head and
 * transformation then come from flags, the normalisation from the dataset).
 */
import { open } from 'node:fs/promises';
import { loadCheckpoint, readCheckpointHeader, type JsonValue } from '../backbones/checkpoint.js';
import { DataError, UsageError } from '../errors.js';
import { createHead } from '../heads/registry.js';
import { disposeLoadedModel, disposeRecord, loadModel, MODEL_FORMAT } from '../train/model.js';
import { normalizationFor } from '../transforms/normalization.js';
import { getLabelTransform } from '../transforms/registry.js';
import type { EvalModel } from './model.js';

/** What a model file is, read from its header only (no weights). */
export interface ModelFileSummary {
  kind: 'trained-model' | 'backbone-checkpoint';
  /** Head and transformation stored in a trained model (undefined for a bare checkpoint). */
  head?: string;
  transform?: string;
  /** A whole-class model (`train --task classify`): its few-shot head was never trained, so --head/--transform may choose another. */
  wholeClass?: boolean;
}

/** Reads just the header of a checkpoint file and says whether it is a trained-model bundle. */
export async function peekModelFile(file: string): Promise<ModelFileSummary> {
  const handle = await open(file, 'r').catch(() => {
    throw new DataError(`cannot read checkpoint ${file}: no such file or not readable`);
  });
  try {
    const prefix = new Uint8Array(12);
    await handle.read(prefix, 0, 12, 0);
    const length = new DataView(prefix.buffer).getUint32(8, true);
    const bytes = new Uint8Array(12 + Math.min(length, 2 ** 30));
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
    const { header } = readCheckpointHeader(bytes.subarray(0, bytesRead), file);
    const extra = header.sections.extra;
    const value = (key: string) => {
      const entry = extra[`model/${key}`];
      return entry && 'value' in entry && typeof entry.value === 'string' ? entry.value : undefined;
    };
    if (value('format') !== MODEL_FORMAT) return { kind: 'backbone-checkpoint' };
    const wholeClass = extra['model/wholeClass'] !== undefined && 'value' in extra['model/wholeClass']! && extra['model/wholeClass']!.value !== null;
    return {
      kind: 'trained-model',
      ...(value('headName') ? { head: value('headName') } : {}),
      ...(value('transform') ? { transform: value('transform') } : {}),
      ...(wholeClass ? { wholeClass } : {}),
    };
  } finally {
    await handle.close();
  }
}

/** Flags for a bare backbone checkpoint; with a trained model they must be left out. */
export interface ModelFileOptions {
  /** Head for a bare checkpoint (default protonet). */
  head?: string;
  headOptions?: Record<string, unknown>;
  /** Transformation set for a bare checkpoint (default none). */
  transform?: string;
  /** Head options set over the stored (or given) ones, for any model, e.g. `{ maxIter: 3 }` for svm. */
  headOptionOverrides?: Record<string, unknown>;
  /** Dataset whose normalisation a bare checkpoint was trained with. */
  dataset: string;
}

/**
 * The head a model file will use; a UsageError when --head/--transform are given for a trained
 * model (it brings its own). Cheap: call it before loading data.
 */
export function checkModelFlags(file: string, summary: ModelFileSummary, options: Omit<ModelFileOptions, 'dataset'>): string {
  if (summary.kind === 'backbone-checkpoint') return options.head ?? 'protonet';
  if (summary.wholeClass) return options.head ?? summary.head ?? 'protonet';
  const given = (['head', 'transform'] as const).filter((k) => options[k] !== undefined);
  if (given.length > 0) {
    throw new UsageError(`${file} is a trained model with head '${summary.head}' and transformation '${summary.transform}': drop --${given.join('/--')}`);
  }
  return summary.head ?? 'protonet';
}

/** A model to evaluate and how to free it. */
export interface LoadedEvalModel {
  model: EvalModel;
  dispose(): void;
}

/**
 * Loads `file` for evaluation. A trained model brings its own head (with trained variables),
 * transformation, normalisation and image size; passing --head/--transform for it is a UsageError.
 * A bare backbone checkpoint gets a fresh head (scale 1: accuracy, an argmax, is the same for any
 * positive scale) and the dataset's normalisation.
 */
export async function loadEvalModel(file: string, options: ModelFileOptions): Promise<LoadedEvalModel> {
  const summary = await peekModelFile(file);
  const headName = checkModelFlags(file, summary, options);
  const overrides = options.headOptionOverrides ?? {};
  if (summary.kind === 'trained-model') {
    const loaded = await loadModel(file);
    // A whole-class model's few-shot head was never trained: --head picks any head (fresh, scale 1).
    const fresh = summary.wholeClass === true && options.head !== undefined && options.head !== loaded.headName;
    const headOptions = fresh ? { ...options.headOptions, ...overrides } : { ...loaded.headOptions, ...overrides };
    let head = loaded.head;
    let transform = loaded.transform;
    if (fresh || Object.keys(overrides).length > 0) {
      try {
        head = createHead(fresh ? headName : loaded.headName, headOptions);
      } catch (error) {
        disposeLoadedModel(loaded);
        throw error;
      }
      if (!fresh) head.variables.forEach((v, i) => v.assign(loaded.head.variables[i]!));
    }
    if (summary.wholeClass && options.transform !== undefined) transform = getLabelTransform(options.transform);
    const model: EvalModel = {
      backbone: loaded.backbone,
      head,
      headOptions,
      transform,
      normalization: loaded.normalization,
      imageSize: loaded.imageSize,
      info: { file, kind: summary.kind, dataset: loaded.dataset, headOptions: headOptions as { [key: string]: JsonValue }, info: loaded.info ?? null },
    };
    return {
      model,
      dispose: () => {
        if (head !== loaded.head) head.dispose();
        disposeLoadedModel(loaded);
      },
    };
  }
  const transform = getLabelTransform(options.transform ?? 'none');
  const normalization = normalizationFor(options.dataset);
  const headOptions = { ...options.headOptions, ...overrides };
  const head = createHead(headName, headOptions);
  try {
    const { backbone, optimizer, extra } = await loadCheckpoint(file);
    disposeRecord(optimizer);
    disposeRecord(extra);
    const model: EvalModel = {
      backbone,
      head,
      headOptions,
      transform,
      normalization,
      info: { file, kind: summary.kind },
    };
    return {
      model,
      dispose: () => {
        backbone.dispose();
        head.dispose();
      },
    };
  } catch (error) {
    head.dispose();
    throw error;
  }
}
