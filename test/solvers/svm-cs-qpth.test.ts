import test from 'ava';
import { tf } from '../../src/tf.js';
import { UsageError } from '../../src/errors.js';
import { createSvmHead } from '../../src/heads/svm.js';
import { solveSvmCs, svmCsBackward, svmCsDual } from '../../src/solvers/index.js';
import { problemOf, resolved } from '../../src/solvers/svm-cs-problem.js';
import { svmCsQpth, svmCsQpthBackward } from '../../src/solvers/svm-cs-qpth.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { gram, relError } from './problems.js';

test.before(useCpuBackend);

/** Recorded by test/solvers/qpth-reference.py (PyTorch 1.13, float64, dense full-KKT qpth). */
const REFERENCE = {
  maxIter1: { bestIterate: 0, residual: 34.0123331555547, alpha: [0.11006157392989176, -0.06068993728422428, -0.049371636645667585, -0.15467441994449366, 0.19967628275586125, -0.045001862811367775, -0.13015235998005936, -0.0317566598453845, 0.16190901982544392, 0.2450043938367969, -0.06609370596530696, -0.17891068787149, -0.014763520926623194, 0.14521172920471162, -0.13044820827808845, -0.09115516088852682, -0.09406430997391481, 0.18521947086244173] },
  maxIter2: { bestIterate: 1, residual: 2.2096330261813986, alpha: [0.08361374563158022, -0.04877368205561648, -0.034840063575963295, -0.10790055066328338, 0.1475561893565586, -0.039655638693274646, -0.07808320111344456, -0.03427222768091594, 0.11235542879436045, 0.15925811008291188, -0.04524676183767001, -0.11401134824524203, -0.014432848030108605, 0.1120752082212112, -0.0976423601911027, -0.05445425114621924, -0.07833042820549724, 0.13278467935171637] },
  maxIter3: { bestIterate: 2, residual: 0.24798259473447676, alpha: [0.06678470690285462, -0.03695909585232822, -0.029825611050526606, -0.0719986658608761, 0.09763124361338546, -0.025632577752509586, -0.05067498185350395, -0.03398215570633122, 0.08465713755983525, 0.09908965598233874, -0.027461978903374977, -0.0716276770789637, -0.015903266469577765, 0.08710435257158122, -0.07120108610200349, -0.03307074288969111, -0.06177061452456339, 0.09484135741425453] },
  maxIter15: { bestIterate: 9, residual: 2.921837774232043e-13, alpha: [0.07943495301312965, -0.027334407352429993, -0.05210054566069966, -0.09579765153237908, 0.09999999999999916, -0.0042023484676200805, -0.04879664873439252, -0.050090190679118005, 0.09888683941351052, 0.09999999999999944, -2.850276419075486e-15, -0.09999999999999658, -0.009805975107834729, 0.09999999999996853, -0.0901940248921338, -0.025594224886091144, -0.0744057751139082, 0.09999999999999934] },
  dKMaxIter3: [0.00109215414706436, -0.0004323827064770223, -0.0009387343590211663, 0.0009157036916993438, 0.0002722997670388472, -9.181338812094835e-05, -0.0004323827064770223, 3.3303644027468375e-05, 0.0003003564360921328, -0.0003540474287184529, 6.246547613463437e-05, -0.0005708992960418859, -0.0009387343590211663, 0.0003003564360921328, 0.000683243189408386, -0.00023214854183414502, -0.00041261072726225947, 9.911383450754042e-05, 0.0009157036916993438, -0.0003540474287184529, -0.00023214854183414502, -0.0002175703548770043, -5.316437828182616e-05, 0.000967714141170126, 0.0002722997670388472, 6.246547613463437e-05, -0.00041261072726225947, -5.316437828182616e-05, 0.0005740008110900777, -0.0006933097001420236, -9.181338812094835e-05, -0.0005708992960418859, 9.911383450754042e-05, 0.000967714141170126, -0.0006933097001420236, -5.396810984429693e-05],
  dKMaxIter40: [0.004995449348285143, -0.0030133112421034803, -0.002224474718244789, 0.0035643564105122313, 0.00230882786710504, -0.0010534091664795007, -0.0030133112421034803, 0.0011409835810229105, 0.00030657891823883366, -0.00124567913729842, -0.0015019304954783609, -0.0006242896858533151, -0.002224474718244789, 0.00030657891823883366, 0.0007650659888679207, -7.785936864789376e-05, -0.00229455508447351, 0.0005410123259080265, 0.0035643564105122313, -0.00124567913729842, -7.785936864789376e-05, -9.159339953157054e-17, 0.0021862298162859672, 0.0007183641904661797, 0.00230882786710504, -0.0015019304954783609, -0.00229455508447351, 0.0021862298162859672, 0.0017574675131220058, -0.002161696000165618, -0.0010534091664795007, -0.0006242896858533151, 0.0005410123259080265, 0.0007183641904661797, -0.002161696000165618, 0.0007012893952959853],
};

/** The reference's episode: 3-way 2-shot, d = 5, labels i % 3 (formulas of qpth-reference.py). */
const N_WAY = 3;
const LABELS = Array.from({ length: 6 }, (_, i) => i % N_WAY);
const X = LABELS.map((y, i) => Array.from({ length: 5 }, (_, t) => 2 * Math.cos(0.9 * i + 1.7 * t) + (t === y ? 1.5 : 0)));
const K = gram(X);
const G_ALPHA = Float64Array.from({ length: 18 }, (_, r) => Math.sin(0.37 * r + 0.1));
const problem = () => problemOf(K, LABELS, N_WAY, resolved({}));

for (const k of [1, 2, 3, 15] as const) {
  test(`qpth truncated at maxIter ${k} returns the reference's iterate`, (t) => {
    const ref = REFERENCE[`maxIter${k}`];
    const point = svmCsQpth(problem(), { maxIter: k });
    t.is(point.bestIterate, ref.bestIterate);
    t.true(relError(point.alpha, ref.alpha) < 1e-9, `alpha rel. error ${relError(point.alpha, ref.alpha)}`);
    t.true(Math.abs(point.residual - ref.residual) <= 1e-9 * Math.max(1, ref.residual), `residual ${point.residual} vs ${ref.residual}`);
  });
}

test('maxIter 3 stops well short of the optimum on this episode (the truncation matters)', (t) => {
  const exact = solveSvmCs(K, LABELS, N_WAY);
  t.true(relError(REFERENCE.maxIter3.alpha, exact.alpha) > 0.1);
  t.true(relError(REFERENCE.maxIter15.alpha, exact.alpha) < 1e-6, `converged qpth vs exact: ${relError(REFERENCE.maxIter15.alpha, exact.alpha)}`);
});

test("qpth's backward pass at a truncated and at a converged point equals the reference's; converged, it is the exact solver's gradient", (t) => {
  const truncated = svmCsQpthBackward(problem(), svmCsQpth(problem(), { maxIter: 3 }), G_ALPHA);
  t.true(relError(truncated, REFERENCE.dKMaxIter3) < 1e-8, `maxIter 3: ${relError(truncated, REFERENCE.dKMaxIter3)}`);
  const converged = svmCsQpthBackward(problem(), svmCsQpth(problem(), { maxIter: 40 }), G_ALPHA);
  t.true(relError(converged, REFERENCE.dKMaxIter40) < 1e-8, `maxIter 40: ${relError(converged, REFERENCE.dKMaxIter40)}`);
  const exact = svmCsBackward(solveSvmCs(K, LABELS, N_WAY, { tol: 1e-12 }), G_ALPHA);
  t.true(relError(converged, exact) < 1e-5, `converged qpth vs exact gradient: ${relError(converged, exact)}`);
});

test('svmCsDual with maxIter runs qpth forward and backward through tfjs', async (t) => {
  await withNoLeaks(t, () => {
    const kernel = tf.tensor2d(Array.from(K), [6, 6]);
    const seen: number[] = [];
    const f = (kt: tf.Tensor) => svmCsDual(kt as tf.Tensor2D, LABELS, N_WAY, { maxIter: 3, onSolved: (s) => seen.push(s[0]!.qpth!.bestIterate) });
    const dy = tf.tensor2d(Array.from(G_ALPHA), [6, 3]);
    const { value, grad } = tf.valueAndGrad(f)(kernel, dy);
    t.true(relError(value.dataSync(), REFERENCE.maxIter3.alpha) < 1e-6);
    t.true(relError(grad.dataSync(), REFERENCE.dKMaxIter3) < 1e-5, `dK rel. error ${relError(grad.dataSync(), REFERENCE.dKMaxIter3)}`);
    t.deepEqual(seen, [2]);
    tf.dispose([kernel, dy, value, grad]);
  });
});

test('svm head maxIter: logits from the truncated dual; 0 (the default) keeps the exact solve', async (t) => {
  await withNoLeaks(t, () => {
    const x = tf.tensor2d(X);
    const labels = tf.tensor1d(LABELS, 'int32');
    const query = tf.tensor2d([[0.3, -1, 2, 0.5, 1], [1, 1, -0.5, 0, 2]]);
    const expected = (alpha: ArrayLike<number>) =>
      [[0.3, -1, 2, 0.5, 1], [1, 1, -0.5, 0, 2]].flatMap((q) =>
        Array.from({ length: N_WAY }, (_, m) => X.reduce((s, xi, i) => s + alpha[i * N_WAY + m]! * xi.reduce((d, v, c) => d + v * q[c]!, 0), 0)),
      );
    for (const [options, alpha] of [
      [{ maxIter: 3 }, REFERENCE.maxIter3.alpha],
      [{}, solveSvmCs(K, LABELS, N_WAY).alpha],
    ] as const) {
      const head = createSvmHead(options);
      const logits = head.logits(x, labels, query, N_WAY);
      t.true(relError(logits.dataSync(), expected(alpha)) < 1e-5, `${JSON.stringify(options)}: ${relError(logits.dataSync(), expected(alpha))}`);
      t.is(head.lastSolutions[0]!.qpth !== undefined, 'maxIter' in options);
      logits.dispose();
      head.dispose();
    }
    tf.dispose([x, labels, query]);
  });
});

test('svm maxIter must be an integer >= 0', (t) => {
  for (const bad of [-1, 1.5]) {
    const error = t.throws(() => createSvmHead({ maxIter: bad }), { instanceOf: UsageError });
    t.regex(error!.message, /option 'maxIter' must be an integer >= 0/);
  }
});
