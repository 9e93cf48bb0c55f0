import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chiSquaredSurvival, gammaP, gammaQ, kolmogorovSmirnovSurvival, kolmogorovSurvival, logGamma, smirnovSurvival } from './special.ts';
import { near, reference } from './testdata/fixture.ts';

const { special } = reference;

describe('special functions against scipy.special', () => {
  it('logGamma matches ln((n-1)!) and ln Γ(1/2)', () => {
    near(logGamma(1), 0, { abs: 1e-15 }, 'lnΓ(1)');
    near(logGamma(11), Math.log(3628800), { rel: 1e-14 }, 'lnΓ(11)');
    near(logGamma(0.5), 0.5 * Math.log(Math.PI), { rel: 1e-14 }, 'lnΓ(1/2)');
  });
  it('gammaQ matches gammaincc within 1e-12 relative, and P + Q = 1', () => {
    for (const [a, x, q] of special.gammaincc) {
      near(gammaQ(a, x), q, { rel: 1e-12, abs: 1e-300 }, `Q(${a}, ${x})`);
      near(gammaP(a, x) + gammaQ(a, x), 1, { abs: 1e-14 }, `P+Q(${a}, ${x})`);
    }
  });
  it('chiSquaredSurvival matches chi2.sf within 1e-12 relative', () => {
    for (const [x, k, p] of special.chi2sf) near(chiSquaredSurvival(x, k), p, { rel: 1e-12 }, `chi2.sf(${x}, ${k})`);
  });
  it('kolmogorovSurvival matches scipy.special.kolmogorov within 1e-13', () => {
    for (const [y, p] of special.kolmogorov) near(kolmogorovSurvival(y), p, { abs: 1e-13, rel: 1e-12 }, `kolmogorov(${y})`);
  });
  it('smirnovSurvival matches scipy.special.smirnov within 1e-9 relative', () => {
    for (const [n, x, p] of special.smirnov) near(smirnovSurvival(n, x), p, { rel: 1e-9 }, `smirnov(${n}, ${x})`);
  });
  it('kolmogorovSmirnovSurvival matches scipy.stats.kstwo.sf within 1e-9 relative', () => {
    for (const [n, x, p] of special.kstwo) near(kolmogorovSmirnovSurvival(n, x), p, { rel: 1e-9, abs: 1e-15 }, `kstwo.sf(${x}, ${n})`);
  });
  it('is a survival function: 1 at 0, 0 at 1, decreasing', () => {
    assert.equal(kolmogorovSmirnovSurvival(100, 0), 1);
    assert.equal(kolmogorovSmirnovSurvival(100, 1), 0);
    let prev = 1;
    for (let x = 0.001; x < 1; x += 0.003) {
      const p = kolmogorovSmirnovSurvival(500, x);
      assert.ok(p <= prev + 1e-12, `sf(500, ${x}) = ${p} > ${prev}`);
      prev = p;
    }
  });
});
