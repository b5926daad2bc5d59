/**
 * The stdlib-js tests this package uses, each required on its first call: importing them eagerly
 * loads about 680 CommonJS modules (their math and assertion packages), which every user of
 * `jointshot/stats` paid for even when only computing an interval.
 */
import { createRequire } from 'node:module';
import type binomialTestFn from '@stdlib/stats-binomial-test';
import type padjustFn from '@stdlib/stats-padjust';
import type ttestFn from '@stdlib/stats-ttest';
import type wilcoxonFn from '@stdlib/stats-wilcoxon';

const require = createRequire(import.meta.url);

/** A getter that requires `id` once, when first called. */
function lazy<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}

/** @stdlib/stats-ttest */
export const ttest: () => typeof ttestFn = lazy('@stdlib/stats-ttest');
/** @stdlib/stats-wilcoxon */
export const wilcoxon: () => typeof wilcoxonFn = lazy('@stdlib/stats-wilcoxon');
/** @stdlib/stats-binomial-test */
export const binomialTest: () => typeof binomialTestFn = lazy('@stdlib/stats-binomial-test');
/** @stdlib/stats-padjust */
export const padjust: () => typeof padjustFn = lazy('@stdlib/stats-padjust');
