/**
 * Glyph classes of the synthetic dataset: each class is a fixed set of strokes (polylines in a
 * [-1, 1] box, y pointing down) standing on a base stroke, so every glyph has an upright
 * orientation. Built without trigonometry (circle points come from square roots only) so that
 * the geometry is bit-identical on every IEEE-754 machine.
 */
import { integer, keyedRng, uniform, type UnitRng } from './hash-rng.js';

/** A 2-D point in glyph units ([-1, 1] box, y down). */
export type Point = readonly [number, number];

/** One stroke: a polyline (a single point is a dot) and its width relative to the sample's pen. */
export interface Stroke {
  points: Point[];
  weight: number;
}

/** A class's glyph: its strokes, the first of which is the base stroke near the bottom. */
export interface Glyph {
  strokes: Stroke[];
}

const SQRT2 = Math.sqrt(2);
const C1 = Math.sqrt(2 + SQRT2) / 2; // cos 22.5 degrees
const S1 = Math.sqrt(2 - SQRT2) / 2; // sin 22.5 degrees
const H = SQRT2 / 2; // cos 45 degrees
/** The 16 vertices of the unit circle at multiples of 22.5 degrees, counter-clockwise from +x. */
const CIRCLE16: Point[] = (() => {
  const quarter: Point[] = [[1, 0], [C1, S1], [H, H], [S1, C1]];
  const out: Point[] = [];
  for (let q = 0; q < 4; q++) {
    for (const [x, y] of quarter) {
      // rotate by q quarter turns: (x, y) -> (-y, x)
      let p: Point = [x, y];
      for (let r = 0; r < q; r++) p = [-p[1], p[0]];
      out.push(p);
    }
  }
  return out;
})();

function point(rng: UnitRng, yMax: number): Point {
  return [uniform(rng, -0.85, 0.85), uniform(rng, -0.9, yMax)];
}

function farPoint(rng: UnitRng, from: Point, minLength: number, yMax: number): Point {
  for (let tries = 0; tries < 20; tries++) {
    const p = point(rng, yMax);
    const dx = p[0] - from[0];
    const dy = p[1] - from[1];
    if (dx * dx + dy * dy >= minLength * minLength) return p;
  }
  return [-from[0], from[1] > 0 ? -0.7 : 0.6];
}

function arc(rng: UnitRng, closed: boolean): Point[] {
  const radius = closed ? uniform(rng, 0.18, 0.35) : uniform(rng, 0.3, 0.65);
  const cx = uniform(rng, -0.8 + radius, 0.8 - radius);
  const cy = uniform(rng, -0.9 + radius, 0.6 - radius);
  const start = integer(rng, 0, 15);
  const steps = closed ? 16 : integer(rng, 5, 12);
  const points: Point[] = [];
  for (let k = 0; k <= steps; k++) {
    const [x, y] = CIRCLE16[(start + k) % 16]!;
    points.push([cx + radius * x, cy + radius * y]);
  }
  return points;
}

function stroke(rng: UnitRng, anchor: Point | undefined): Stroke {
  const kind = rng();
  const start = anchor ?? point(rng, 0.6);
  if (kind < 0.35) return { points: [start, farPoint(rng, start, 0.7, 0.6)], weight: 1 };
  if (kind < 0.6) {
    const middle = farPoint(rng, start, 0.5, 0.6);
    return { points: [start, middle, farPoint(rng, middle, 0.5, 0.6)], weight: 1 };
  }
  if (kind < 0.85) return { points: arc(rng, false), weight: 1 };
  if (kind < 0.93) return { points: arc(rng, true), weight: 1 };
  return { points: [point(rng, 0.5)], weight: 2.2 };
}

/** The glyph of class `classIndex` for dataset seed `seed`: a base stroke plus 2 to 4 strokes. */
export function makeGlyph(seed: number, classIndex: number): Glyph {
  const rng = keyedRng(seed, classIndex, 0x61797068);
  const baseY = uniform(rng, 0.68, 0.88);
  const base: Stroke = {
    points: [
      [uniform(rng, -0.9, -0.25), baseY + uniform(rng, -0.08, 0.08)],
      [uniform(rng, 0.25, 0.9), baseY + uniform(rng, -0.08, 0.08)],
    ],
    weight: 1,
  };
  const strokes = [base];
  const extra = integer(rng, 2, 4);
  for (let s = 0; s < extra; s++) {
    // Half of the strokes start where an earlier stroke ends, so glyphs tend to be connected.
    const previous = strokes[integer(rng, 0, strokes.length - 1)]!.points;
    const anchor = rng() < 0.5 ? previous[previous.length - 1] : undefined;
    strokes.push(stroke(rng, anchor));
  }
  return { strokes };
}
