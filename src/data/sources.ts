/** The datasets `data prepare` knows, their native sizes and accepted sources (no heavy imports: the CLI reads these at start-up). */

/** Datasets `data prepare` knows and their native square image size. */
export const PREPARABLE: Readonly<Record<string, number | undefined>> = {
  'cifar-fs': 32,
  fc100: 32,
  'mini-imagenet': 84,
  'tiny-imagenet-fs': 64,
  folder: undefined,
};

/** The `--from` forms each dataset accepts, for help and error messages. */
export const SOURCE_FORMS: Readonly<Record<string, string>> = {
  'cifar-fs': 'cifar-100-python.tar.gz / cifar-100-binary.tar.gz (or extracted), or a folder with CIFAR_FS_{train,val,test}.pickle',
  fc100: 'cifar-100-python.tar.gz / cifar-100-binary.tar.gz (or extracted), or a folder with FC100_{train,val,test}.pickle',
  'mini-imagenet':
    'a folder with images/ and {train,val,test}.csv (Ravi layout), or with miniImageNet_category_split_{train_phase_train,val,test}.pickle',
  'tiny-imagenet-fs': 'the tiny-imagenet-fs folder (images/ and {train,val,test}.csv)',
  folder: 'a folder of class sub-folders of images',
};
