/** PyTorch interop: .pth (zip and legacy) and safetensors in, safetensors out, MetaOptNet's naming. */
export { readPth, type PthContents, type PthFormat } from './pth.js';
export { isTorchTensor, tensorValues, torchPickleExtension, type TorchDtype, type TorchStorage, type TorchTensor } from './torch-pickle.js';
export { findStateDict, type HostTensor, type StateDict } from './state-dict.js';
export { guessBackbone, torchNaming, torchNamingNames, type ConvBnUnit, type TorchNaming } from './naming.js';
export { backboneFromStateDict, stateDictFromBackbone } from './weights.js';
export { decodeSafetensors, encodeSafetensors, isSafetensors, type SafetensorsContents } from './safetensors.js';
export { IMPORT_DEFAULTS } from './defaults.js';
export { importTorchModel, readStateDict, readTorchModel, type ImportedModel, type ImportOptions } from './import.js';
export { backboneToSafetensors, exportSafetensors } from './export.js';
