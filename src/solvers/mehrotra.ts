/** Step rules shared by the interior-point methods (Mehrotra predictor-corrector). */

/** The largest step a in (0, 1] with s + a ds >= 0 and l + a dl >= 0 (slacks and multipliers). */
export function maxStep(s: Float64Array, ds: Float64Array, l: Float64Array, dl: Float64Array): number {
  let a = 1;
  for (let r = 0; r < s.length; r++) {
    if (ds[r]! < 0) a = Math.min(a, -s[r]! / ds[r]!);
    if (dl[r]! < 0) a = Math.min(a, -l[r]! / dl[r]!);
  }
  return a;
}

/** Mehrotra's centring weight sigma = (mu_aff / mu)^3 after the affine (predictor) step. */
export function centering(s: Float64Array, ds: Float64Array, l: Float64Array, dl: Float64Array, mu: number): number {
  if (!(mu > 0) || s.length === 0) return 0;
  const a = maxStep(s, ds, l, dl);
  let muAff = 0;
  for (let r = 0; r < s.length; r++) muAff += (s[r]! + a * ds[r]!) * (l[r]! + a * dl[r]!);
  return (muAff / s.length / mu) ** 3;
}
