/** The oneDNN-backed `native` tfjs backend: registration, threads, the addon loader. */
export { NATIVE_BACKEND, nativeContentCacheBytes, nativeConvImplementations, nativeIsa, nativeThreadCount, registerNativeBackend, setNativeThreads, nativeWinograd, nativeFusedWinograd, type NativeConvImplementation, type NativeProbe } from './backend.js';
export { loadNativeAddon, NATIVE_ADDON_PATH, type AddonLoad, type NativeAddon, type NativeIsa } from './addon.js';
export { nativeKernelCounts, type KernelCallCounts } from './kernels/kernel-utils.js';
export { nativeBatchNormActive, nativeBatchNormTrain } from './batchnorm.js';
export { nativeConvBnAct, nativeConvBnActChain, type ChainStage, type ConvBnActOptions } from './conv-bn.js';
export { nativeSgdActive, nativeSgdUpdate } from './sgd.js';
export { nativeRunningStats, nativeRunningStatsActive } from './running-stats.js';
