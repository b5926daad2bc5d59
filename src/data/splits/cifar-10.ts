/** CIFAR-10 label names in label order (Krizhevsky, 2009; the official `batches.meta` file). */
export const CIFAR10_NAMES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
