/**
 * Published 5-way accuracies (ResNet-12, mean over 1000 test episodes; from the MetaOptNet paper,
 * Lee et al., CVPR 2019, and the SLA paper, Lee, Hwang & Shin, ICML 2020), shown beside our cells so a reproduction can be read at a glance.
 */

/** Published means in percent by `dataset/method/shots` (method: head name, `+sla` for SLA+AG). */
const PUBLISHED: Readonly<Record<string, number>> = {
  'mini-imagenet/protonet/1': 59.25,
  'mini-imagenet/protonet/5': 75.6,
  'mini-imagenet/protonet+sla/1': 62.22,
  'mini-imagenet/protonet+sla/5': 77.78,
  'mini-imagenet/ridge/1': 61.41,
  'mini-imagenet/ridge/5': 77.88,
  'mini-imagenet/ridge+sla/1': 62.93,
  'mini-imagenet/ridge+sla/5': 79.63,
  'mini-imagenet/svm/1': 62.64,
  'mini-imagenet/svm/5': 78.63,
  'cifar-fs/protonet/1': 72.2,
  'cifar-fs/protonet/5': 83.5,
  'cifar-fs/protonet+sla/1': 74.6,
  'cifar-fs/protonet+sla/5': 86.8,
  'cifar-fs/ridge/1': 72.6,
  'cifar-fs/ridge/5': 84.3,
  'cifar-fs/ridge+sla/1': 73.5,
  'cifar-fs/ridge+sla/5': 86.7,
  'cifar-fs/svm/1': 72.0,
  'cifar-fs/svm/5': 84.2,
  'fc100/protonet/1': 37.5,
  'fc100/protonet/5': 52.5,
  'fc100/protonet+sla/1': 40.0,
  'fc100/protonet+sla/5': 55.7,
  'fc100/ridge/1': 40.5,
  'fc100/ridge/5': 55.3,
  'fc100/ridge+sla/1': 42.2,
  'fc100/ridge+sla/5': 59.2,
  'fc100/svm/1': 41.1,
  'fc100/svm/5': 55.5,
};

/**
 * The published mean (percent) of a 5-way cell, or null when the papers report none: plain heads
 * (no transformation) and rotation SLA+AG only; SVM + SLA was never published.
 */
export function publishedAccuracy(cell: { dataset: string; head: string; transform: string; inference: string; ways: number; shots: number }): number | null {
  if (cell.ways !== 5) return null;
  let method: string;
  if (cell.transform === 'none') method = cell.head;
  else if (cell.transform === 'rotation' && cell.inference === 'aggregated') method = `${cell.head}+sla`;
  else return null;
  return PUBLISHED[`${cell.dataset}/${method}/${cell.shots}`] ?? null;
}
