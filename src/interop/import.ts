/**
 * PyTorch weights in: a .pth (zip or legacy) or .safetensors file of a MetaOptNet-style backbone
 * becomes a jointshot trained model (backbone + chosen head + transformation + normalisation +
 * image size) that `jointshot eval` runs like one trained here.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { PREPARABLE } from '../data/sources.js';
import { createHead } from '../heads/registry.js';
import type { Head } from '../heads/types.js';
import type { Backbone } from '../backbones/types.js';
import { tf } from '../tf.js';
import { saveModel, type TrainedModel } from '../train/model.js';
import { normalizationFor, type ChannelStats } from '../transforms/normalization.js';
import { getLabelTransform } from '../transforms/registry.js';
import { IMPORT_DEFAULTS } from './defaults.js';
import { torchNaming } from './naming.js';
import { readPth } from './pth.js';
import { decodeSafetensors, isSafetensors } from './safetensors.js';
import { findStateDict, type StateDict } from './state-dict.js';
import { backboneFromStateDict } from './weights.js';

/** What to build around the imported backbone; every field but `backbone` has a stated default. */
export interface ImportOptions {
  /** jointshot backbone whose PyTorch naming the file follows (conv4, resnet12, resnet18/20/32/56). */
  backbone: string;
  /** Few-shot head (default protonet). */
  head?: string;
  /** Label transformation set the model is evaluated with (default none: plain). */
  transform?: string;
  /** Dataset whose normalisation and image size the weights were trained with (default mini-imagenet). */
  dataset?: string;
  /** Square image side (default: the dataset's native size: 84 mini-imagenet, 32 cifar-fs/fc100, 64 tiny-imagenet-fs). */
  imageSize?: number;
  /** Per-channel mean/std in pixel units 0..255 (default: the dataset's constants). */
  normalization?: ChannelStats;
  /** Backbone output pooling (default: the backbone's: flatten for conv4/resnet12 as MetaOptNet, avg for the ResNets). */
  pooling?: 'flatten' | 'avg';
  /** Use MetaOptNet's saved head scale when the file has one (default true). */
  headScale?: boolean;
}

/** An imported model (owned by the caller: dispose backbone and head) and where it came from. */
export interface ImportedModel {
  model: TrainedModel;
  format: 'zip' | 'legacy' | 'safetensors';
  layout: string[];
  tensors: number;
  /** Keys of the file's other parts (classifiers) that were left out. */
  skipped: string[];
  /** The head scale taken from the file, if any. */
  headScale?: number;
}

/** Reads a .pth or .safetensors file's backbone state dict. */
export function readStateDict(bytes: Uint8Array, source: string): StateDict & { format: ImportedModel['format'] } {
  if (isSafetensors(bytes)) {
    const { tensors } = decodeSafetensors(bytes, source);
    return { tensors, layout: ['safetensors'], format: 'safetensors' };
  }
  const contents = readPth(bytes, source);
  return { ...findStateDict(contents.root, source), format: contents.format };
}

function imageSide(options: ImportOptions, dataset: string): number {
  const side = options.imageSize ?? PREPARABLE[dataset];
  if (side === undefined) throw new UsageError(`no native image size known for dataset '${dataset}': give --image-size N`);
  if (!Number.isSafeInteger(side) || side < 16) throw new UsageError(`--image-size must be an integer >= 16, found ${side}`);
  return side;
}

function assignHeadScale(head: Head, scale: number, source: string): void {
  const variable = head.variables[0];
  if (head.variables.length !== 1 || !variable || variable.size !== 1) {
    throw new DataError(`${source}: the file has a head scale but head '${head.name}' has ${head.variables.length} variables; pass --no-head-scale`);
  }
  tf.tidy(() => variable.assign(tf.fill(variable.shape, scale)));
}

/** Builds the trained model a PyTorch file describes (nothing is written). */
export async function readTorchModel(file: string, options: ImportOptions): Promise<ImportedModel> {
  torchNaming(options.backbone);
  const dataset = options.dataset ?? IMPORT_DEFAULTS.dataset;
  const normalization = options.normalization ?? normalizationFor(dataset);
  const side = imageSide(options, dataset);
  const transform = getLabelTransform(options.transform ?? IMPORT_DEFAULTS.transform);
  const headName = options.head ?? IMPORT_DEFAULTS.head;
  const head = createHead(headName);
  let backbone: Backbone | undefined;
  try {
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new DataError(`cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : (error.code ?? error.message)}`);
    });
    const state = readStateDict(bytes, file);
    const naming = torchNaming(options.backbone, state.tensors.keys());
    const skipped = [...state.tensors.keys()].filter((k) => naming.skip?.test(k));
    backbone = backboneFromStateDict(naming, state.tensors, file, options.pooling ? { pooling: options.pooling } : {});
    const useScale = options.headScale !== false && state.headScale !== undefined;
    if (useScale) assignHeadScale(head, state.headScale!, file);
    const channels = backbone.config.inChannels as number;
    if (normalization.mean.length !== channels || normalization.std.length !== channels) {
      throw new UsageError(`the normalisation has ${normalization.mean.length} channels but the backbone's first conv takes ${channels}`);
    }
    const model: TrainedModel = {
      backbone,
      head,
      headName,
      headOptions: {},
      transform,
      dataset,
      normalization,
      imageSize: { height: side, width: side, channels },
      info: {
        importedFrom: basename(file),
        sha256: createHash('sha256').update(bytes).digest('hex'),
        format: state.format,
        layout: state.layout,
        naming: naming.reference,
        skipped,
        headScale: useScale ? state.headScale! : null,
      },
    };
    return {
      model,
      format: state.format,
      layout: state.layout,
      tensors: state.tensors.size - skipped.length,
      skipped,
      ...(useScale ? { headScale: state.headScale! } : {}),
    };
  } catch (error) {
    backbone?.dispose();
    head.dispose();
    throw error;
  }
}

/** Imports `file` and writes the trained model to `out` (atomically); returns what was imported. */
export async function importTorchModel(file: string, out: string, options: ImportOptions): Promise<Omit<ImportedModel, 'model'> & { config: Backbone['config'] }> {
  const { model, ...summary } = await readTorchModel(file, options);
  try {
    await saveModel(out, model);
    return { ...summary, config: model.backbone.config };
  } finally {
    model.backbone.dispose();
    model.head.dispose();
  }
}
