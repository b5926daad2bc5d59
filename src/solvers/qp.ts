/**
 * `solveQP`: a batched, differentiable dense QP layer (qpth's interface) on tfjs tensors, solved
 * per episode in Float64 by the interior-point method of qp-dense.ts.
 */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import { customOp } from './custom-op.js';
import { denseQPBackward, solveDenseQP, type DenseQP, type DenseQPSolution, type QPOptions } from './qp-dense.js';

/** Options of `solveQP`. */
export interface SolveQPOptions extends QPOptions {
  /** Called with each problem's solution (iterations, residual) after the forward pass. */
  onSolved?: (solutions: readonly DenseQPSolution[]) => void;
}

interface Dims {
  batched: boolean;
  batch: number;
  nz: number;
  m: number;
  pe: number;
}

function dimsOf(q: tf.Tensor, p: tf.Tensor, g: tf.Tensor, h: tf.Tensor, a?: tf.Tensor, b?: tf.Tensor): Dims {
  const batched = q.rank === 3;
  const lead = batched ? [q.shape[0]!] : [];
  const nz = q.shape[q.rank - 1]!;
  const m = g.shape[g.rank - 2]!;
  const pe = a ? a.shape[a.rank - 2]! : 0;
  const want: [string, tf.Tensor | undefined, number[]][] = [
    ['Q', q, [...lead, nz, nz]],
    ['p', p, [...lead, nz]],
    ['G', g, [...lead, m, nz]],
    ['h', h, [...lead, m]],
    ['A', a, [...lead, pe, nz]],
    ['b', b, [...lead, pe]],
  ];
  for (const [name, t, shape] of want) {
    if (!t) {
      if (pe === 0) continue;
      throw new UsageError(`solveQP: ${name} is missing; pass both A and b, or neither`);
    }
    if (t.rank !== shape.length || t.shape.some((v, i) => v !== shape[i])) {
      throw new UsageError(`solveQP: ${name} must have shape ${JSON.stringify(shape)} (all inputs batched or none); got ${JSON.stringify(t.shape)}`);
    }
  }
  return { batched, batch: batched ? q.shape[0]! : 1, nz, m, pe };
}

/** Float64 view of batch entry s of a flat array holding `size` values per entry. */
const part = (v: ArrayLike<number>, s: number, size: number) => Float64Array.from({ length: size }, (_, i) => v[s * size + i]!);

/**
 * argmin_z 1/2 z^T Q z + p^T z s.t. G z <= h, A z = b for Q [B?, nz, nz] (positive definite),
 * p [B?, nz], G [B?, m, nz], h [B?, m], optional A [B?, nEq, nz], b [B?, nEq]; returns z [B?, nz],
 * differentiable with respect to every input (implicit differentiation of the KKT conditions).
 */
export function solveQP(
  q: tf.Tensor,
  p: tf.Tensor,
  g: tf.Tensor,
  h: tf.Tensor,
  a?: tf.Tensor | null,
  b?: tf.Tensor | null,
  options: SolveQPOptions = {},
): tf.Tensor {
  const d = dimsOf(q, p, g, h, a ?? undefined, b ?? undefined);
  const { batch, nz, m, pe } = d;
  const inputs = pe > 0 ? [q, p, g, h, a!, b!] : [q, p, g, h];
  const op = customOp((...ts) => {
    const vals = ts.map((t) => t.dataSync());
    const problems: DenseQP[] = [];
    const sols: DenseQPSolution[] = [];
    const z = new Float32Array(batch * nz);
    for (let s = 0; s < batch; s++) {
      const qp: DenseQP = {
        nz,
        nIneq: m,
        nEq: pe,
        q: part(vals[0]!, s, nz * nz),
        p: part(vals[1]!, s, nz),
        g: part(vals[2]!, s, m * nz),
        h: part(vals[3]!, s, m),
        a: pe > 0 ? part(vals[4]!, s, pe * nz) : new Float64Array(0),
        b: pe > 0 ? part(vals[5]!, s, pe) : new Float64Array(0),
      };
      const sol = solveDenseQP(qp, options);
      problems.push(qp);
      sols.push(sol);
      z.set(sol.z, s * nz);
    }
    options.onSolved?.(sols);
    const value = tf.tensor(z, d.batched ? [batch, nz] : [nz], 'float32');
    const gradFunc = (dy: tf.Tensor) => {
      const dyv = dy.dataSync();
      const keys = ['q', 'p', 'g', 'h', 'a', 'b'] as const;
      const out = ts.map((t) => new Float32Array(t.size));
      for (let s = 0; s < batch; s++) {
        const gr = denseQPBackward(problems[s]!, sols[s]!, part(dyv, s, nz));
        ts.forEach((_, idx) => {
          const src = gr[keys[idx]!];
          out[idx]!.set(src, s * src.length);
        });
      }
      return ts.map((t, idx) => tf.tensor(out[idx]!, t.shape, 'float32'));
    };
    return { value, gradFunc };
  });
  return op(...inputs);
}
