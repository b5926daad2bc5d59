/** Differentiable solvers: Cholesky solve, the structured Crammer-Singer SVM dual, a dense QP layer. */
export { cholSolve } from './cholesky.js';
export { svmCsDual, type SvmCsDualOptions } from './svm-cs-op.js';
export { solveSvmCs, svmCsBackward, svmCsResidual, svmCsObjective, type SvmCsOptions, type SvmCsSolution } from './svm-cs.js';
export { solveQP, type SolveQPOptions } from './qp.js';
export { solveDenseQP, denseQPBackward, type DenseQP, type DenseQPSolution, type DenseQPGrads, type QPOptions } from './qp-dense.js';
