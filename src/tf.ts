/** The single TensorFlow.js namespace jointshot uses; re-exported so user code shares it. */
import * as tf from '@tensorflow/tfjs';
export { tf };
