/** Training: the trained-model bundle (save/load), the episodic trainer, optimizer and recipe. */
export {
  MODEL_FORMAT,
  MODEL_VERSION,
  disposeLoadedModel,
  disposeRecord,
  loadModel,
  saveModel,
  type LoadedModel,
  type ModelImageSize,
  type ModelState,
  type TrainedModel,
} from './model.js';
