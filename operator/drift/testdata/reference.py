"""Reference values for operator/drift, computed with scipy, written to reference.json.

The Node tests (operator/drift/*.test.ts) compare the TypeScript statistics with these values,
so CI needs no Python. Regenerate after changing a case:

    python3 -m venv /tmp/drift-venv && /tmp/drift-venv/bin/pip install scipy==1.17.1 numpy==2.4.6
    /tmp/drift-venv/bin/python operator/drift/testdata/reference.py

Data: node_modules/vega-datasets/data/seattle-weather.csv (vega-datasets 3.2.1).
- winter:  reference = March to August rows, live = December to February rows (the seasons drift).
- holdout: the March to August rows split in two by numpy's default_rng(SEED).permutation;
           reference = first half, live = second half (no drift expected). The row indices are
           written to the fixture so the Node side uses the very same split.
Synthetic samples for the KS p-value paths use a Park-Miller generator that the Node test
reproduces bit for bit (integer arithmetic below 2^53, one division).
PSI follows Evidently's psi stattest and get_binned_data (empty-bin floor), over the given bins.
"""

import csv
import json
import os

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

SEED = 8
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CSV = os.path.join(ROOT, "node_modules", "vega-datasets", "data", "seattle-weather.csv")
NUMERIC = ["precipitation", "temp_max", "temp_min", "wind"]
BINS = 20


def park_miller(seed, n, scale=1.0, shift=0.0, decimals=None):
    x = seed
    out = []
    for _ in range(n):
        x = (x * 48271) % 2147483647
        v = (x / 2147483647) * scale + shift
        if decimals is not None:
            v = np.floor(v * 10**decimals) / 10**decimals
        out.append(v)
    return np.array(out, dtype=np.float64)


def evidently_psi(ref_counts, live_counts):
    """Evidently's psi(): proportions, zeros floored per distribution, Σ (r - c) ln(r / c)."""
    r = np.asarray(ref_counts, dtype=float) / np.sum(ref_counts)
    c = np.asarray(live_counts, dtype=float) / np.sum(live_counts)
    for p in (r, c):
        m = min(p[p != 0])
        np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return float(np.sum((r - c) * np.log(r / c)))


def contingency(ref_counts, live_counts):
    table = np.array([ref_counts, live_counts], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    res = stats.chi2_contingency(table, correction=False)
    return {"statistic": float(res.statistic), "pValue": float(res.pvalue), "dof": int(res.dof)}


def goodness_of_fit(ref_counts, live_counts):
    """Evidently's chisquare stattest: f_exp = reference counts scaled to the live total."""
    keep = [i for i in range(len(ref_counts)) if ref_counts[i] + live_counts[i] > 0]
    ref = np.array([ref_counts[i] for i in keep], dtype=float)
    obs = np.array([live_counts[i] for i in keep], dtype=float)
    res = stats.chisquare(obs, ref * obs.sum() / ref.sum())
    return {"statistic": float(res.statistic), "pValue": float(res.pvalue)}


def numeric_case(ref, live):
    ks = stats.ks_2samp(ref, live, method="auto")
    w = stats.wasserstein_distance(ref, live)
    edges = np.histogram_bin_edges(ref, bins=BINS)
    ref_bins = np.histogram(ref, edges)[0]
    inside = live[(live >= edges[0]) & (live <= edges[-1])]
    live_bins = [int((live < edges[0]).sum()), *np.histogram(inside, edges)[0].tolist(), int((live > edges[-1]).sum())]
    ref_slots = [0, *ref_bins.tolist(), 0]
    return {
        "ks": {"statistic": float(ks.statistic), "pValue": float(ks.pvalue)},
        "wasserstein": float(w),
        "wassersteinNormed": float(w / max(np.std(ref), 0.001)),
        "referenceStdSample": float(np.std(ref, ddof=1)),
        "edges": edges.tolist(),
        "referenceBins": ref_slots,
        "liveBins": live_bins,
        "psi": evidently_psi(ref_slots, live_bins),
        "jensenShannon": float(distance.jensenshannon(ref_slots, live_bins, base=2)),
        "chiSquared": contingency(ref_slots, live_bins),
    }


def categorical_case(ref, live):
    cats = sorted(set(ref) | set(live))
    rc = [int(sum(1 for v in ref if v == c)) for c in cats]
    lc = [int(sum(1 for v in live if v == c)) for c in cats]
    return {
        "categories": cats,
        "reference": rc,
        "live": lc,
        "chiSquared": contingency(rc, lc),
        "goodnessOfFit": goodness_of_fit(rc, lc),
        "jensenShannon": float(distance.jensenshannon(rc, lc, base=2)),
        "psi": evidently_psi(rc, lc),
    }


def main():
    with open(CSV, newline="") as f:
        rows = list(csv.DictReader(f))
    month = np.array([int(r["date"][5:7]) for r in rows])
    col = {c: np.array([float(r[c]) for r in rows]) for c in NUMERIC}
    weather = [r["weather"] for r in rows]

    spring_summer = np.flatnonzero((month >= 3) & (month <= 8))
    winter = np.flatnonzero((month == 12) | (month <= 2))
    perm = np.random.default_rng(SEED).permutation(spring_summer)
    half = len(perm) // 2
    hold_ref, hold_live = np.sort(perm[:half]), np.sort(perm[half:])

    scenarios = {}
    for name, ref_idx, live_idx in [("winter", spring_summer, winter), ("holdout", hold_ref, hold_live)]:
        scenarios[name] = {
            "referenceRows": ref_idx.tolist(),
            "liveRows": live_idx.tolist(),
            "numeric": {c: numeric_case(col[c][ref_idx], col[c][live_idx]) for c in NUMERIC},
            "weather": categorical_case([weather[i] for i in ref_idx], [weather[i] for i in live_idx]),
        }

    synthetic = []
    for n1, n2, shift, decimals in [
        (100, 100, 0.0, None), (100, 100, 0.2, None), (300, 200, 0.1, None), (368, 368, 0.0, 1),
        (736, 368, 0.05, None), (1000, 250, 0.0, 2), (2000, 1500, 0.03, None), (10000, 9000, 0.02, None),
        (10000, 10000, 0.01, None), (12000, 300, 0.1, None), (20000, 120, 0.0, None), (20000, 120, 0.3, None),
        (50000, 40000, 0.01, None), (30000, 30000, 0.002, 3), (1000000, 1000000, 0.001, None),
    ]:
        a = park_miller(1 + n1, n1, 1.0, 0.0, decimals)
        b = park_miller(7 + n2, n2, 1.0, shift, decimals)
        ks = stats.ks_2samp(a, b, method="auto")
        synthetic.append({
            "n1": n1, "n2": n2, "seed1": 1 + n1, "seed2": 7 + n2, "shift": shift, "decimals": decimals,
            "ks": {"statistic": float(ks.statistic), "pValue": float(ks.pvalue)},
            "wasserstein": float(stats.wasserstein_distance(a, b)),
        })

    special_values = {
        "gammaincc": [[a, x, float(special.gammaincc(a, x))] for a, x in [(0.5, 0.01), (0.5, 2), (1, 40), (2, 3), (4.5, 1), (10, 25), (24.5, 60), (50, 40), (100, 130)]],
        "chi2sf": [[x, k, float(stats.chi2.sf(x, k))] for x, k in [(0.5, 1), (3.84, 1), (10, 4), (100, 20), (400, 49)]],
        "kolmogorov": [[y, float(special.kolmogorov(y))] for y in [0.1, 0.3, 0.5, 0.8, 1.0, 1.2, 1.36, 2, 3, 5]],
        "smirnov": [[n, x, float(special.smirnov(n, x))] for n, x in [(5, 0.3), (50, 0.1), (300, 0.05), (1000, 0.08), (100000, 0.005)]],
        "kstwo": [[n, x, float(stats.kstwo.sf(x, n))] for n, x in [
            (3, 0.3), (10, 0.07), (10, 0.3), (10, 0.95), (50, 0.1), (100, 0.02), (100, 0.15), (140, 0.2), (141, 0.1), (300, 0.05),
            (300, 0.09), (1000, 0.03), (1000, 0.06), (5000, 0.01), (5000, 0.025), (50000, 0.005), (50000, 0.01), (200000, 0.003),
            (500000, 0.001), (20, 0.6), (200, 0.4)]],
    }

    out = {
        "generatedBy": "operator/drift/testdata/reference.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "seed": SEED,
        "scenarios": scenarios,
        "synthetic": synthetic,
        "special": special_values,
    }
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
