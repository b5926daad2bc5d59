/**
 * Weights out: a jointshot model's (or bare checkpoint's) backbone as a safetensors file with
 * PyTorch names and layouts, so `model.load_state_dict(safetensors.torch.load_file(path))` works
 * for MetaOptNet's embedding classes.
 */
import { loadCheckpoint } from '../backbones/checkpoint.js';
import { disposeRecord } from '../train/model.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { BN_COUNTER, torchNaming } from './naming.js';
import { encodeSafetensors } from './safetensors.js';
import { stateDictFromBackbone } from './weights.js';
import type { Backbone } from '../backbones/types.js';

/** The backbone's weights as safetensors bytes (float32; BN counters int64 0), with its config in the metadata. */
export function backboneToSafetensors(backbone: Backbone): { bytes: Uint8Array; tensors: number } {
  const naming = torchNaming(backbone.name);
  const tensors = stateDictFromBackbone(naming, backbone);
  const counters = new Set([...tensors.keys()].filter((k) => k.endsWith(`.${BN_COUNTER}`)));
  const metadata = { format: 'pt', producer: 'jointshot', backbone: JSON.stringify(backbone.config), naming: naming.reference };
  return { bytes: encodeSafetensors(tensors, metadata, counters), tensors: tensors.size };
}

/** Writes the backbone of the checkpoint or model `file` to `out` as safetensors (atomically). */
export async function exportSafetensors(file: string, out: string): Promise<{ backbone: string; tensors: number; bytes: number }> {
  const { backbone, optimizer, extra } = await loadCheckpoint(file);
  try {
    disposeRecord(optimizer);
    disposeRecord(extra);
    const { bytes, tensors } = backboneToSafetensors(backbone);
    await writeFileAtomic(out, bytes);
    return { backbone: backbone.name, tensors, bytes: bytes.length };
  } finally {
    backbone.dispose();
  }
}
