/** The datasets `data prepare` knows, their native sizes and accepted sources (no heavy imports: the CLI reads these at start-up). */

/** Datasets `data prepare` knows and their native square image size. */
export const PREPARABLE: Readonly<Record<string, number | undefined>> = {
  'cifar-fs': 32,
  fc100: 32,
  'mini-imagenet': 84,
  'tiny-imagenet-fs': 64,
  'cifar-10': 32,
  'cifar-100': 32,
  folder: undefined,
};

/** The `--from` forms each dataset accepts, for help and error messages. */
export const SOURCE_FORMS: Readonly<Record<string, string>> = {
  'cifar-fs': 'cifar-100-python.tar.gz / cifar-100-binary.tar.gz (or extracted), or a folder with CIFAR_FS_{train,val,test}.pickle',
  fc100: 'cifar-100-python.tar.gz / cifar-100-binary.tar.gz (or extracted), or a folder with FC100_{train,val,test}.pickle',
  'mini-imagenet':
    'a folder with images/ and {train,val,test}.csv (Ravi layout), or with miniImageNet_category_split_{train_phase_train,val,test}.pickle',
  'tiny-imagenet-fs': 'the tiny-imagenet-fs folder (images/ and {train,val,test}.csv)',
  'cifar-10': 'cifar-10-python.tar.gz / cifar-10-binary.tar.gz (or a folder holding one, or extracted)',
  'cifar-100': 'cifar-100-python.tar.gz / cifar-100-binary.tar.gz (or a folder holding one, or extracted)',
  folder: 'a folder of class sub-folders of images, or of train/ and test/ (and optionally val/) folders of the same class sub-folders',
};

/** The whole-class datasets with an official train/test split: description and how to prepare them. */
export const WHOLE_CLASS_SOURCES: Readonly<Record<string, { description: string; hint: string }>> = {
  'cifar-10': {
    description: 'CIFAR-10: 10 classes, the official 50,000 train / 10,000 test images, 32x32 (whole-class only)',
    hint: 'run `jointshot data download cifar-10`, or `jointshot data prepare cifar-10 --from <cifar-10-python.tar.gz | cifar-10-binary.tar.gz | extracted folder>`',
  },
  'cifar-100': {
    description: 'CIFAR-100: 100 classes, the official 50,000 train / 10,000 test images, 32x32 (whole-class only)',
    hint: 'run `jointshot data download cifar-100`, or `jointshot data prepare cifar-100 --from <cifar-100-python.tar.gz | cifar-100-binary.tar.gz | extracted folder>`',
  },
};
