import test from 'ava';
import { projectCappedZeroSum, solveSvmCs, svmCsBackward, svmCsObjective } from '../../src/solvers/svm-cs.js';
import { solveDenseQP, denseQPBackward } from '../../src/solvers/qp-dense.js';
import { svmCsInteriorPoint } from '../../src/solvers/svm-cs-ipm.js';
import { problemOf, resolved } from '../../src/solvers/svm-cs-problem.js';
import { JointshotError } from '../../src/errors.js';
import { gram, normals, relError, svmDenseProblem, symmetricFd, toyEpisode } from './problems.js';

/** Kernel and labels of a random clustered episode. */
function svmProblem(seed: number, nWay: number, shot: number, d: number, noise: number) {
  const ep = toyEpisode(seed, nWay, shot, 1, d, noise);
  return { k: gram(ep.support), labels: ep.labels, n: ep.labels.length };
}

/**
 * Independent KKT check written from the problem statement (gradient (K (x) I + I) a - onehot,
 * bounds C onehot, zero sums): returns the worst stationarity and feasibility errors.
 */
function denseKkt(k: Float64Array, labels: number[], nWay: number, alpha: Float64Array, c = 0.1) {
  const n = labels.length;
  let stat = 0;
  let feas = 0;
  for (let i = 0; i < n; i++) {
    const g: number[] = [];
    let sum = 0;
    for (let m = 0; m < nWay; m++) {
      let v = alpha[i * nWay + m]! - (labels[i] === m ? 1 : 0);
      for (let j = 0; j < n; j++) v += k[i * n + j]! * alpha[j * nWay + m]!;
      g.push(v);
      sum += alpha[i * nWay + m]!;
      feas = Math.max(feas, alpha[i * nWay + m]! - (labels[i] === m ? c : 0));
    }
    feas = Math.max(feas, Math.abs(sum));
    // optimal iff every free class has the largest gradient of its support
    const top = Math.max(...g);
    for (let m = 0; m < nWay; m++) if (alpha[i * nWay + m]! < (labels[i] === m ? c : 0)) stat = Math.max(stat, top - g[m]!);
  }
  return { stat, feas };
}

test('projection onto {v <= u, sum v = 0} equals the dense QP solution', (t) => {
  const draw = normals(11);
  for (let trial = 0; trial < 20; trial++) {
    const w = 2 + (trial % 6);
    const z = draw(w).map((v) => 0.3 * v);
    const u = Array.from({ length: w }, (_, m) => (m === trial % w ? 0.1 : 0));
    const out = new Float64Array(w);
    projectCappedZeroSum(z, u, out);
    const eye = new Float64Array(w * w);
    for (let m = 0; m < w; m++) eye[m * w + m] = 1;
    const ref = solveDenseQP({ nz: w, nIneq: w, nEq: 1, q: eye, p: Float64Array.from(z, (v) => -v), g: eye, h: Float64Array.from(u), a: new Float64Array(w).fill(1), b: new Float64Array(1) }, { maxIter: 50 });
    t.true(out.every((v, m) => Math.abs(v - ref.z[m]!) < 1e-8), `trial ${trial}: ${out} vs ${ref.z}`);
  }
});

for (const [seed, nWay, shot, d, noise] of [
  [1, 3, 2, 4, 1.0],
  [2, 5, 2, 8, 0.5],
  [3, 4, 3, 6, 2.0],
  [4, 5, 1, 16, 1.0],
] as const) {
  test(`structured SVM solution equals the dense interior-point QP (seed ${seed}, ${nWay}-way ${shot}-shot, d ${d})`, (t) => {
    const { k, labels } = svmProblem(seed, nWay, shot, d, noise);
    const sol = solveSvmCs(k, labels, nWay, { tol: 1e-10 });
    const dense = solveDenseQP(svmDenseProblem(k, labels, nWay), { maxIter: 60 });
    t.true(dense.residual < 1e-9);
    t.true(relError(sol.alpha, dense.z) < 1e-6, `alpha rel error ${relError(sol.alpha, dense.z)}`);
    const objS = svmCsObjective(k, labels, nWay, sol.alpha);
    const objD = svmCsObjective(k, labels, nWay, dense.z);
    t.true(objS <= objD + 1e-10, `structured objective ${objS} vs dense ${objD}`);
    // the backward passes agree too: dL/dK_ij = sum_m dL/dQ_(i,m),(j,m)
    const n = labels.length;
    const r = Float64Array.from(normals(seed + 100)(n * nWay));
    const dk = svmCsBackward(sol, r);
    const gd = denseQPBackward(svmDenseProblem(k, labels, nWay), dense, r);
    const nz = n * nWay;
    const dkDense = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let m = 0; m < nWay; m++) dkDense[i * n + j]! += gd.q[(i * nWay + m) * nz + j * nWay + m]!;
    t.true(relError(dk, dkDense) < 1e-4, `dK rel error vs dense backward ${relError(dk, dkDense)}`);
  });
}

test('solution satisfies the KKT conditions to the stated tolerance (independent dense check)', (t) => {
  for (const [seed, nWay, shot, d, noise, tol] of [
    [5, 5, 5, 32, 1.0, 1e-6],
    [6, 20, 5, 64, 1.5, 1e-6],
    [7, 20, 5, 16, 0.3, 1e-8],
  ] as const) {
    const { k, labels } = svmProblem(seed, nWay, shot, d, noise);
    const sol = solveSvmCs(k, labels, nWay, { tol });
    t.true(sol.residual <= tol);
    const { stat, feas } = denseKkt(k, labels, nWay, sol.alpha);
    t.true(stat <= tol * 10 && feas <= tol, `seed ${seed}: stationarity ${stat}, infeasibility ${feas}`);
    // a feasible perturbation never lowers the objective
    const obj = svmCsObjective(k, labels, nWay, sol.alpha);
    const moved = Float64Array.from(sol.alpha);
    moved[0]! -= 1e-3;
    moved[1]! += 1e-3;
    if (moved[1]! <= (labels[0] === 1 ? 0.1 : 0)) t.true(svmCsObjective(k, labels, nWay, moved) >= obj - 1e-12);
  }
});

test('backward (implicit differentiation) matches central differences of the solution map', (t) => {
  const nWay = 4;
  const { k, labels, n } = svmProblem(8, nWay, 3, 6, 1.5);
  const r = Float64Array.from(normals(9)(n * nWay));
  const loss = (kk: Float64Array) => solveSvmCs(kk, labels, nWay, { tol: 1e-13 }).alpha.reduce((s, v, i) => s + v * r[i]!, 0);
  const sol = solveSvmCs(k, labels, nWay, { tol: 1e-13 });
  const dk = svmCsBackward(sol, r);
  const { fd, an } = symmetricFd(k, n, loss, dk, 1e-6);
  t.true(fd.some((v) => Math.abs(v) > 1e-3), 'the loss must depend on K');
  t.true(relError(an, fd) < 1e-5, `rel error ${relError(an, fd)}`);
});

test('a 20-way lifted episode (nS = 100, 2000 variables) solves to tolerance', (t) => {
  const { k, labels } = svmProblem(10, 20, 5, 128, 1.0);
  const sol = solveSvmCs(k, labels, 20);
  t.true(sol.residual <= 1e-6);
  t.is(sol.alpha.length, 2000);
  const { stat, feas } = denseKkt(k, labels, 20, sol.alpha);
  t.true(stat <= 1e-5 && feas <= 1e-6, `stationarity ${stat}, infeasibility ${feas}`);
});

test('an unreachable tolerance is a one-line error naming the fix', (t) => {
  const { k, labels } = svmProblem(12, 5, 5, 32, 1.0);
  t.throws(() => solveSvmCs(k, labels, 5, { tol: 1e-300, maxSweeps: 2 }), { instanceOf: JointshotError, message: /KKT residual .* maxSweeps/ });
  t.throws(() => solveSvmCs(k, labels, 3), { instanceOf: JointshotError, message: /outside 0\.\.2/ });
});

test('an ill-conditioned low-rank kernel at large scale still solves (interior-point fallback)', (t) => {
  // 75 random points in 16 dimensions with random labels, coordinates ~100: K ~ 1e5, rank 16
  const draw = normals(13);
  const labels = Array.from({ length: 75 }, (_, i) => i % 5);
  const x = labels.map(() => draw(16).map((v) => 100 * v));
  const k = gram(x);
  const sol = solveSvmCs(k, labels, 5);
  t.true(sol.interiorPointIterations > 0, 'the fast path alone stalls on this kernel');
  const { stat, feas } = denseKkt(k, labels, 5, sol.alpha);
  t.true(stat <= 1e-5 && feas <= 1e-6, `stationarity ${stat}, infeasibility ${feas}`);
});

test('the structured interior point alone agrees with the dense QP', (t) => {
  const { k, labels } = svmProblem(14, 4, 3, 6, 1.0);
  const p = problemOf(k, labels, 4, resolved({}));
  const ip = svmCsInteriorPoint(p, 60, 1e-11);
  const dense = solveDenseQP(svmDenseProblem(k, labels, 4), { maxIter: 60 });
  t.true(relError(ip.alpha, dense.z) < 1e-5, `rel error ${relError(ip.alpha, dense.z)} after ${ip.iterations} iterations`);
});
