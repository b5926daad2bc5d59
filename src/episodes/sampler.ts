/**
 * Episode sampling: an episode is a description (class ids and, per class, support and query image
 * indices), drawn from one seeded Rng so that the same seed gives the same episodes everywhere.
 */
import { UsageError } from '../errors.js';
import { sampleDistinct, type Rng } from '../util/rng.js';

/** The shape of an N-way K-shot episode with Q queries per class. */
export interface EpisodeShape {
  ways: number;
  shots: number;
  queries: number;
}

/**
 * One episode. `classes[j]` is the class index (into the split's class list) that plays episode
 * label j; `support[j]` and `query[j]` are that class's image indices, each sorted ascending.
 */
export interface Episode {
  classes: number[];
  support: number[][];
  query: number[][];
}

/** Draws one episode from `rng`; the shape was validated once when the sampler was made. */
export type EpisodeSampler = (rng: Rng) => Episode;

function describeValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function checkCount(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new UsageError(`--${name} must be ${what}, found ${describeValue(value)}`);
  }
  return value;
}

/** Checks that every value of `shape` is an integer in range; returns it unchanged. */
export function checkEpisodeShape(shape: EpisodeShape): EpisodeShape {
  checkCount('ways', shape.ways, 1);
  checkCount('shots', shape.shots, 1);
  checkCount('queries', shape.queries, 0);
  return shape;
}

function className(index: number, names?: readonly string[]): string {
  const name = names?.[index];
  return name === undefined ? `class ${index}` : `class ${index} ('${name}')`;
}

/**
 * The classes an episode of `shape` may use: those with at least shots + queries images.
 * Throws a UsageError before any sampling when the request is impossible (bad values, more ways
 * than classes, fewer than `ways` classes big enough — naming the classes that are too small).
 */
export function eligibleClasses(
  classSizes: readonly number[],
  shape: EpisodeShape,
  classNames?: readonly string[],
): number[] {
  const { ways, shots, queries } = checkEpisodeShape(shape);
  classSizes.forEach((size, c) => {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new UsageError(`${className(c, classNames)} has an invalid image count ${describeValue(size)}`);
    }
  });
  if (ways > classSizes.length) {
    throw new UsageError(`${ways}-way episodes need ${ways} classes but the split has only ${classSizes.length}`);
  }
  const need = shots + queries;
  const eligible: number[] = [];
  const small: number[] = [];
  classSizes.forEach((size, c) => (size >= need ? eligible : small).push(c));
  if (eligible.length < ways) {
    const shown = small
      .slice(0, 3)
      .map((c) => `${className(c, classNames)} has ${classSizes[c]}`)
      .join(', ');
    const more = small.length > 3 ? ` and ${small.length - 3} more` : '';
    throw new UsageError(
      `${shots} shots + ${queries} queries need ${need} images per class, but only ${eligible.length} ` +
        `of ${classSizes.length} classes have that many and ${ways}-way episodes need ${ways}: ` +
        `${shown}${more}; lower --shots/--queries/--ways`,
    );
  }
  return eligible;
}

/**
 * Validates the request once and returns a sampler of episodes. Classes too small for
 * shots + queries are left out of the draw (as long as at least `ways` classes remain).
 */
export function createEpisodeSampler(
  classSizes: readonly number[],
  shape: EpisodeShape,
  classNames?: readonly string[],
): EpisodeSampler {
  const eligible = eligibleClasses(classSizes, shape, classNames);
  const { ways, shots, queries } = shape;
  const ascending = (a: number, b: number) => a - b;
  return (rng) => {
    const classes = sampleDistinct(rng, eligible.length, ways).map((k) => eligible[k]!);
    const support: number[][] = [];
    const query: number[][] = [];
    for (const c of classes) {
      const images = sampleDistinct(rng, classSizes[c]!, shots + queries);
      support.push(images.slice(0, shots).sort(ascending));
      query.push(images.slice(shots).sort(ascending));
    }
    return { classes, support, query };
  };
}

/** Draws one N-way K-shot episode with Q queries per class from `rng` (validates first). */
export function sampleEpisode(
  rng: Rng,
  classSizes: readonly number[],
  shape: EpisodeShape,
): Episode {
  return createEpisodeSampler(classSizes, shape)(rng);
}
