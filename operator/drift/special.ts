// Special functions behind the drift tests' p-values: the log-gamma and regularised incomplete
// gamma functions (chi-squared), and the Kolmogorov-Smirnov distributions (KS), written here so
// the operator needs no numerical library. Checked against scipy.special in special.test.ts.

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; relative error about 1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-16;
const TINY = 1e-300;

/** Series for the lower regularised gamma P(a, x); converges fast for x < a + 1. */
function gammaPSeries(a: number, x: number): number {
  let ap = a;
  let term = 1 / a;
  let sum = term;
  for (let n = 0; n < 10000; n++) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Continued fraction (modified Lentz) for the upper regularised gamma Q(a, x); for x >= a + 1. */
function gammaQContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** Upper regularised incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) (scipy.special.gammaincc). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  return x < a + 1 ? 1 - gammaPSeries(a, x) : gammaQContinuedFraction(a, x);
}

/** Lower regularised incomplete gamma P(a, x) (scipy.special.gammainc). */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (!Number.isFinite(x)) return 1;
  return x < a + 1 ? gammaPSeries(a, x) : 1 - gammaQContinuedFraction(a, x);
}

/** Survival function of the chi-squared distribution: P(X >= x) with `dof` degrees of freedom. */
export function chiSquaredSurvival(x: number, dof: number): number {
  return gammaQ(dof / 2, x / 2);
}

/**
 * The limiting Kolmogorov distribution's survival function, P(K >= y) where K = lim sqrt(n) D_n
 * (scipy.special.kolmogorov). Two series, each used where it converges in a few terms.
 */
export function kolmogorovSurvival(y: number): number {
  if (y <= 0) return 1;
  if (y < 1) {
    // 1 - sqrt(2π)/y Σ_{k odd} exp(-k²π²/(8y²))
    let s = 0;
    for (let k = 1; k < 100; k += 2) {
      const t = Math.exp((-k * k * Math.PI * Math.PI) / (8 * y * y));
      s += t;
      if (t < 1e-17 * s) break;
    }
    return 1 - (Math.sqrt(2 * Math.PI) / y) * s;
  }
  // 2 Σ_{k>=1} (-1)^(k-1) exp(-2k²y²)
  let s = 0;
  for (let k = 1; k < 100; k++) {
    const t = Math.exp(-2 * k * k * y * y);
    s += k % 2 === 1 ? t : -t;
    if (t < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/**
 * The exact one-sided one-sample KS survival function P(D+_n >= x) (scipy.special.smirnov), by
 * the Birnbaum-Tingey sum x Σ_j C(n,j) (1-x-j/n)^(n-j) (x+j/n)^(j-1), all terms positive and
 * summed in log space, so it is accurate far into the tail. O(n) work, except for large n where
 * smirnovStrided usually answers in O(sqrt(n)).
 */
export function smirnovSurvival(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const last = Math.floor(n * (1 - x) + 1e-12);
  if (n >= 10000) {
    const strided = smirnovStrided(n, x, last);
    if (strided !== undefined) return Math.min(1, x * strided);
  }
  let logC = 0; // ln C(n, j)
  let sum = 0;
  for (let j = 0; j <= last; j++) {
    if (j > 0) logC += Math.log(n - j + 1) - Math.log(j);
    const p = 1 - x - j / n;
    if (p <= 0) {
      // Only reachable when n(1-x) is an integer: the term is 0^(n-j), zero unless j = n.
      if (j === n) sum += Math.exp(logC + (j - 1) * Math.log(x + j / n));
      continue;
    }
    sum += Math.exp(logC + (n - j) * Math.log(p) + (j - 1) * Math.log(x + j / n));
  }
  return Math.min(1, x * sum);
}

/** 1/(12z) - 1/(360z³) + 1/(1260z⁵): Stirling's correction to ln z!, for z >= 10. */
function stirlingTail(z: number): number {
  const z2 = z * z;
  return 1 / (12 * z) - 1 / (360 * z * z2) + 1 / (1260 * z * z2 * z2);
}

/**
 * For large n the Birnbaum-Tingey terms, as a function of j, form one smooth hump thousands of
 * terms wide, so the sum equals h times the sum of every h-th term to far below rounding (the
 * trapezoid rule on a smooth, end-negligible function; Poisson summation). ln C(n, j) is taken
 * from Stirling's series in a form without cancellation. The result is used only when the
 * stride-h and stride-2h sums agree to 1e-11 and both end terms are negligible; otherwise
 * undefined (the caller sums every term).
 */
function smirnovStrided(n: number, x: number, last: number): number | undefined {
  const h = Math.max(2, Math.floor(Math.sqrt(n) / 8));
  const logTerm = (j: number): number => {
    const logC = j * Math.log(n / j) - (n - j) * Math.log1p(-j / n) + 0.5 * Math.log(n / (2 * Math.PI * j * (n - j))) + stirlingTail(n) - stirlingTail(j) - stirlingTail(n - j);
    return logC + (n - j) * Math.log(1 - x - j / n) + (j - 1) * Math.log(x + j / n);
  };
  // End terms: j = 0 is (1-x)^n / x; j = last by the exact log-gamma.
  const first = n * Math.log1p(-x) - Math.log(x);
  const pLast = 1 - x - last / n;
  const end = pLast > 0 ? logGamma(n + 1) - logGamma(last + 1) - logGamma(n - last + 1) + (n - last) * Math.log(pLast) + (last - 1) * Math.log(x + last / n) : -Infinity;
  let even = 0;
  let odd = 0;
  let peak = -Infinity;
  let k = 0;
  for (let j = h; j <= last - 10; j += h, k++) {
    if (j < 10) continue;
    const l = logTerm(j);
    if (l > peak) peak = l;
    const t = Math.exp(l);
    if (k % 2 === 0) even += t;
    else odd += t;
  }
  const fine = h * (even + odd);
  const coarse = 2 * h * even;
  if (!(fine > 0) || Math.abs(fine - coarse) > 1e-11 * fine) return undefined;
  if (Math.max(first, end) > peak - 50) return undefined;
  return fine;
}

/**
 * Marsaglia, Tsang and Wang (2003) / Durbin's matrix: the exact CDF P(D_n < x) of the
 * two-sided one-sample statistic. A (2k-1)-square matrix power with k = floor(nx) + 1; used
 * for small n, where the asymptotic series are not accurate enough.
 */
export function kolmogorovSmirnovCdfExact(n: number, x: number): number {
  const k = Math.floor(n * x) + 1;
  const m = 2 * k - 1;
  const h = k - n * x;
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 >= 0 ? 1 : 0;
  for (let i = 0; i < m; i++) {
    H[i * m] = H[i * m]! - h ** (i + 1);
    H[(m - 1) * m + i] = H[(m - 1) * m + i]! - h ** (m - i);
  }
  if (2 * h - 1 > 0) H[(m - 1) * m] = H[(m - 1) * m]! + (2 * h - 1) ** m;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i - j + 1 > 0) {
        let f = 1;
        for (let g = 2; g <= i - j + 1; g++) f *= g;
        H[i * m + j] = H[i * m + j]! / f;
      }
    }
  }
  // H^n by repeated squaring, keeping a power-of-ten exponent to avoid overflow.
  const multiply = (A: Float64Array, B: Float64Array): Float64Array<ArrayBuffer> => {
    const C = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      for (let l = 0; l < m; l++) {
        const a = A[i * m + l]!;
        if (a === 0) continue;
        for (let j = 0; j < m; j++) C[i * m + j] = C[i * m + j]! + a * B[l * m + j]!;
      }
    }
    return C;
  };
  let result: Float64Array<ArrayBuffer> | undefined;
  let resultExp = 0;
  let base: Float64Array<ArrayBuffer> = H;
  let baseExp = 0;
  for (let e = n; e > 0; e >>= 1) {
    if (e & 1) {
      result = result === undefined ? base : multiply(result, base);
      resultExp += baseExp;
      const centre = result[(k - 1) * m + (k - 1)]!;
      if (centre > 1e140) {
        for (let i = 0; i < m * m; i++) result[i] = result[i]! * 1e-140;
        resultExp += 140;
      }
    }
    if (e > 1) {
      base = multiply(base, base);
      baseExp *= 2;
      const centre = base[(k - 1) * m + (k - 1)]!;
      if (centre > 1e140) {
        for (let i = 0; i < m * m; i++) base[i] = base[i]! * 1e-140;
        baseExp += 140;
      }
    }
  }
  // n!/n^n · result[k-1][k-1] · 10^resultExp, in logs.
  const centre = result![(k - 1) * m + (k - 1)]!;
  if (centre <= 0) return 0;
  const log = logGamma(n + 1) - n * Math.log(n) + Math.log(centre) + resultExp * Math.LN10;
  return Math.min(1, Math.max(0, Math.exp(log)));
}

/**
 * Pelz and Good's (1976) asymptotic series for the CDF P(D_n <= x): the limiting Kolmogorov
 * distribution and three correction terms in powers of 1/sqrt(n) (Simard and L'Ecuyer 2011,
 * as scipy.stats.kstwo uses it for large n).
 */
export function kolmogorovSmirnovCdfPelzGood(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const PI2 = Math.PI * Math.PI;
  const PI4 = PI2 * PI2;
  const PI6 = PI4 * PI2;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -745) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z6 * z2;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  // Σ over odd m = 2k-1 of c(m) q^(m²), by Horner in q^(8k).
  for (let k = maxk; k >= 1; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qp + c[i]!;
  }
  const SQRT2PI = Math.sqrt(2 * Math.PI);
  const denominators = [z, 6 * z4, 72 * z6 * z, 6480 * z4 * z6];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT2PI) / denominators[i]!;
  // The terms of K2 and K3 summed over all integers k.
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k >= 1; k--) {
    const k2 = k * k;
    const qk = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qk;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K[2] = K[2]! + (k2extra * PI2 * SQRT2PI) / (-36 * z2 * z);
  K[3] = K[3]! + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return Math.min(1, Math.max(0, sum));
}

/**
 * Survival function P(D_n >= x) of the two-sided one-sample KS statistic (scipy.stats.kstwo.sf),
 * choosing the method by region as scipy does (Simard and L'Ecuyer): closed forms at the ends,
 * twice the one-sided exact probability in the tail, Durbin's matrix for small n, Pelz-Good
 * otherwise.
 */
export function kolmogorovSmirnovSurvival(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    const cdf = Math.exp(logGamma(n + 1) - n * Math.log(n) + n * Math.log(2 * t - 1));
    return 1 - cdf;
  }
  if (t >= n - 1) return Math.min(1, 2 * (1 - x) ** n);
  if (x >= 0.5) return Math.min(1, 2 * smirnovSurvival(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 4) return Math.max(0, 1 - kolmogorovSmirnovCdfExact(n, x));
    return Math.min(1, 2 * smirnovSurvival(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return Math.min(1, 2 * smirnovSurvival(n, x));
  return Math.max(0, 1 - kolmogorovSmirnovCdfPelzGood(n, x));
}
