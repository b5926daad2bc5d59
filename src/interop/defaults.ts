/** Defaults of `jointshot import` (a light module: the CLI reads it for --help). */
export const IMPORT_DEFAULTS = { head: 'protonet', transform: 'none', dataset: 'mini-imagenet' } as const;
