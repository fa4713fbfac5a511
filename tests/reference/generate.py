#!/usr/bin/env python3
"""Reference values for stagelab's statistics engine.

Writes fixtures.json next to this file. The Rust tests in
src/stats/reference_tests.rs read it (they never run Python).

Sources of truth, per section:
- proportions / means / sequential: gbstats (GrowthBook) TwoSidedTTest and
  SequentialTwoSidedTTest, absolute and relative difference types. The
  properties (point_estimate, confidence_interval, p_value, dof) are read
  directly, bypassing compute_result's guard, because stagelab also reports
  lifts when only one arm has zero variance (gbstats would return a blank
  result there); the formulas are gbstats' own.
- bayesian: gbstats EffectBayesianABTest (flat and proper Gaussian priors).
- fisher: scipy.stats.fisher_exact; the rule "some expected cell < 10" that
  decides whether stagelab reports it is evaluated here from first principles.
- srm: gbstats.utils.check_srm, cross-checked with scipy.stats.chisquare.
- adjust: statsmodels.stats.multitest.multipletests (holm, fdr_bh).
- sample_size / power / days: no reference tool implements exactly this
  normal-approximation formula, so it is computed here from first principles
  with scipy.stats.norm.
- cuped: gbstats RegressionAdjustedStatistic (theta from the pooled data of
  the pair) with TwoSidedTTest.
- winsor: no reference tool caps at a pooled linearly-interpolated
  percentile, so the cap is numpy.percentile and the capped samples go
  through gbstats' TwoSidedTTest.
- survival: lifelines KaplanMeierFitter (exponential Greenwood intervals)
  and lifelines.statistics.logrank_test.

Run: see README.md.
"""
import json
import math
import os

import numpy as np
import scipy.stats as st
from gbstats.bayesian.tests import (
    EffectBayesianABTest,
    EffectBayesianConfig,
    GaussianPrior,
)
from gbstats.frequentist.tests import (
    FrequentistConfig,
    frequentist_diff,
    frequentist_variance,
    SequentialConfig,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
)
from gbstats.models.statistics import (
    ProportionStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)
from gbstats.utils import check_srm
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from statsmodels.stats.multitest import multipletests

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json")


def num(x):
    """A float for JSON; None for anything not finite (must not happen for defined values)."""
    x = float(x)
    return x if math.isfinite(x) else None


def prop_stat(n, c):
    return ProportionStatistic(n=n, sum=c)


def mean_stat(n, mean, sd):
    return SampleMeanStatistic(n=n, sum=n * mean, sum_squares=(n - 1) * sd * sd + n * mean * mean)


def effect(test_cls, make_a, make_b, difference_type, alpha, tuning=None):
    """gbstats' effect of b over a, or None when stagelab must call it undefined."""
    a, b = make_a(), make_b()
    if a.n < 2 or b.n < 2 or a.variance + b.variance <= 0:
        return None
    if difference_type == "relative" and a.unadjusted_mean == 0:
        return None
    if tuning is None:
        cfg = FrequentistConfig(alpha=alpha, difference_type=difference_type)
    else:
        cfg = SequentialConfig(
            alpha=alpha, difference_type=difference_type, sequential_tuning_parameter=tuning
        )
    t = test_cls(a, b, cfg)
    if not t.variance > 0:
        return None  # e.g. relative lift against a constant treatment of mean 0
    lo, hi = t.confidence_interval
    return {
        "estimate": num(t.point_estimate),
        "ci": [num(lo), num(hi)],
        "p_value": num(t.p_value),
        "dof": num(t.dof),
    }


def bayes(make_a, make_b, alpha, prior=None):
    a, b = make_a(), make_b()
    relative = a.unadjusted_mean != 0 or prior is not None
    if a.n < 2 or b.n < 2 or a.variance + b.variance <= 0:
        return None
    if relative and a.unadjusted_mean == 0:
        return None
    gp = GaussianPrior(mean=prior[0], variance=prior[1], proper=True) if prior else GaussianPrior()
    cfg = EffectBayesianConfig(
        alpha=alpha,
        difference_type="relative" if relative else "absolute",
        prior_effect=gp,
        prior_type="relative" if relative else "absolute",  # flat when absolute
    )
    r = EffectBayesianABTest(a, b, cfg)
    # compute_result guards on either arm's variance being 0; stagelab only
    # needs the pooled variance, so use the same formulas directly when one
    # arm is constant.
    res = r.compute_result()
    if res.error_message == "ZERO_NEGATIVE_VARIANCE":
        return bayes_one_constant_arm(a, b, alpha, relative, gp)
    if res.error_message:
        raise RuntimeError(f"unexpected gbstats guard: {res.error_message}")
    return {
        "scale": "relative" if relative else "absolute",
        "expected": num(res.expected),
        "ci": [num(res.ci[0]), num(res.ci[1])],
        "chance_to_beat_control": num(res.chance_to_win),
        "risk": [num(res.risk[0]), num(res.risk[1])],
    }


def bayes_one_constant_arm(a, b, alpha, relative, gp):
    """gbstats' own posterior formulas (EffectBayesianABTest.compute_result),
    applied when one arm is constant and compute_result would refuse."""
    v = frequentist_variance(a.variance, a.unadjusted_mean, a.n, b.variance, b.unadjusted_mean, b.n, relative)
    if not v > 0:
        return None
    m = frequentist_diff(a.mean, b.mean, relative, a.unadjusted_mean)
    prec = 1 / v + (1 / gp.variance if gp.proper else 0)
    mu = (m / v + gp.mean / gp.variance) / prec if gp.proper else m
    sd = math.sqrt(1 / prec)
    risk = EffectBayesianABTest.get_risk(mu, sd)
    ci = st.norm.ppf([alpha / 2, 1 - alpha / 2], mu, sd)
    return {
        "scale": "relative" if relative else "absolute",
        "expected": num(mu),
        "ci": [num(ci[0]), num(ci[1])],
        "chance_to_beat_control": num(st.norm.sf(0, mu, sd)),
        "risk": [num(risk[0]), num(risk[1])],
    }


def small_cell(a, b):
    n = a[0] + b[0]
    conv = a[1] + b[1]
    if n == 0:
        return True
    return any(r * conv / n < 10 or r * (n - conv) / n < 10 for r in (a[0], b[0]))


def proportion_case(name, control, treatments, alpha=0.05, tuning=None, prior=None):
    test = TwoSidedTTest if tuning is None else SequentialTwoSidedTTest
    out = []
    for t in treatments:
        mk_a = lambda: prop_stat(*control)
        mk_b = lambda t=t: prop_stat(*t)
        fisher = None
        if small_cell(control, t):
            table = [[control[1], control[0] - control[1]], [t[1], t[0] - t[1]]]
            fisher = num(st.fisher_exact(table).pvalue)
        out.append(
            {
                "absolute": effect(test, mk_a, mk_b, "absolute", alpha, tuning),
                "relative": effect(test, mk_a, mk_b, "relative", alpha, tuning),
                "bayesian": bayes(mk_a, mk_b, alpha, prior) if tuning is None else None,
                "fisher_p_value": fisher,
            }
        )
    return {
        "name": name,
        "kind": "proportion",
        "alpha": alpha,
        "tuning": tuning,
        "prior": list(prior) if prior else None,
        "control": list(control),
        "treatments": [list(t) for t in treatments],
        "expected": out,
    }


def mean_case(name, control, treatments, alpha=0.05, tuning=None, prior=None):
    test = TwoSidedTTest if tuning is None else SequentialTwoSidedTTest
    out = []
    for t in treatments:
        mk_a = lambda: mean_stat(*control)
        mk_b = lambda t=t: mean_stat(*t)
        out.append(
            {
                "absolute": effect(test, mk_a, mk_b, "absolute", alpha, tuning),
                "relative": effect(test, mk_a, mk_b, "relative", alpha, tuning),
                "bayesian": bayes(mk_a, mk_b, alpha, prior) if tuning is None else None,
                "fisher_p_value": None,
            }
        )
    return {
        "name": name,
        "kind": "mean",
        "alpha": alpha,
        "tuning": tuning,
        "prior": list(prior) if prior else None,
        "control": list(control),
        "treatments": [list(t) for t in treatments],
        "expected": out,
    }


def comparisons():
    P, M = proportion_case, mean_case
    return [
        P("issue example", (10000, 1000), [(10000, 1100)]),
        P("tiny samples", (20, 3), [(25, 7)]),
        P("huge samples", (5_000_000, 250_000), [(5_000_000, 251_500)]),
        P("rate near zero", (100_000, 12), [(100_000, 25)]),
        P("rate near one", (2000, 1990), [(2000, 1995)]),
        P("unequal sizes", (500, 60), [(50_000, 5_500)]),
        P("several treatments", (8000, 640), [(8000, 700), (8000, 610), (4000, 360), (12000, 1000)]),
        P("zero control conversions", (1000, 0), [(1000, 5)]),
        P("all converted in one arm", (50, 50), [(50, 45)]),
        P("negative lift, alpha 0.1", (3000, 450), [(3100, 400)], alpha=0.1),
        P("alpha 0.01", (40000, 2000), [(40000, 2150)], alpha=0.01),
        P("two units each", (2, 1), [(2, 0)]),
        P("identical arms", (1234, 321), [(1234, 321)]),
        P("empty and single-unit arms", (100, 10), [(0, 0), (1, 1), (1, 0)]),
        P("everyone converted in both arms", (80, 80), [(90, 90)]),
        P("nobody converted in either arm", (500, 0), [(400, 0)]),
        M("revenue", (1000, 5.2, 3.1), [(1000, 5.5, 3.3)]),
        M("tiny means", (5, 10.0, 2.0), [(7, 12.0, 4.0)]),
        M("huge revenue", (2_000_000, 50.0, 30.0), [(2_100_000, 50.05, 31.0)]),
        M("negative control mean", (400, -2.0, 5.0), [(420, -1.5, 4.0), (380, -2.4, 6.5)]),
        M("unequal variances", (60, 100.0, 5.0), [(6000, 103.0, 80.0)]),
        M("zero control mean", (300, 0.0, 1.0), [(300, 0.2, 1.1)]),
        M("constant control", (100, 3.0, 0.0), [(100, 3.1, 0.5)]),
        M("single-unit and empty means", (50, 4.0, 1.0), [(1, 5.0, 0.0), (0, 0.0, 0.0)]),
        P("sequential default tuning", (10000, 1000), [(10000, 1100)], tuning=5000),
        P("sequential small n", (300, 30), [(300, 45)], tuning=5000),
        P("sequential large n, tuning 100000", (400_000, 20_000), [(400_000, 20_500)], tuning=100_000),
        P("sequential several, tuning 1000", (5000, 500), [(5000, 560), (4800, 470)], tuning=1000, alpha=0.1),
        M("sequential means", (2500, 12.0, 9.0), [(2600, 12.6, 9.5)], tuning=5000),
        M("sequential means alpha 0.01", (800, 1.0, 0.4), [(820, 1.05, 0.45)], tuning=20000, alpha=0.01),
        P("prior on relative lift", (1000, 100), [(1000, 130)], prior=(0.0, 0.01)),
        P("informative prior", (20000, 2000), [(20000, 2080), (20000, 1950)], prior=(0.05, 0.0025)),
        M("prior on a mean", (500, 20.0, 10.0), [(500, 21.0, 11.0)], prior=(0.0, 0.09)),
        P("strong effect (risk tails)", (10000, 1000), [(10000, 1300)]),
    ]


def fisher_cases():
    tables = [(4, 3, 4, 1), (10, 0, 10, 10), (30, 2, 28, 9), (1000, 1, 1000, 8), (7, 7, 9, 3), (200, 3, 150, 3)]
    out = []
    for n1, c1, n2, c2 in tables:
        p = st.fisher_exact([[c1, n1 - c1], [c2, n2 - c2]]).pvalue
        out.append({"control": [n1, c1], "treatment": [n2, c2], "p_value": num(p)})
    return out


def srm_cases():
    cases = [
        ([5000, 5200], [0.5, 0.5]),
        ([5000, 5400], None),
        ([10000, 10090, 9850], None),
        ([2000, 8300], [0.2, 0.8]),
        ([100, 130, 95, 120], [1, 1, 1, 1]),
        ([123456, 120001], [0.5, 0.5]),
    ]
    out = []
    for obs, w in cases:
        weights = w if w is not None else [1.0] * len(obs)
        p = check_srm(obs, weights)
        total = sum(obs)
        exp = [wi / sum(weights) * total for wi in weights]
        chi, p2 = st.chisquare(obs, exp)
        assert abs(p - p2) <= 1e-12 + 1e-9 * p
        out.append(
            {"observed": obs, "weights": w, "p_value": num(p), "chi_square": num(chi), "mismatch": bool(p < 0.001)}
        )
    return out


def adjust_cases():
    lists = [
        [0.01, 0.04, 0.03, 0.005],
        [0.2, 0.2, 0.01, 0.5, 0.049, 1.0],
        [0.0001, 0.0002, 0.8, 0.03, 0.04, 0.041, 0.9, 0.012],
        [0.5],
        [0.03, 0.03, 0.03],
    ]
    out = []
    for p in lists:
        out.append(
            {
                "p": p,
                "holm": [num(x) for x in multipletests(p, method="holm")[1]],
                "bh": [num(x) for x in multipletests(p, method="fdr_bh")[1]],
            }
        )
    return out


def planning_cases():
    out = []
    z = st.norm.ppf
    cases = [
        (0.10, 0.01, False, 0.8, 2, 0.05),
        (0.10, 0.05, True, 0.8, 2, 0.05),
        (0.02, 0.002, False, 0.9, 3, 0.05),
        (0.5, 0.1, True, 0.8, 4, 0.01),
        (0.95, -0.01, False, 0.8, 2, 0.1),
        (0.001, 0.2, True, 0.85, 2, 0.05),
    ]
    for base, mde, relative, power, variants, alpha in cases:
        p1 = base
        p2 = base * (1 + mde) if relative else base + mde
        d = p2 - p1
        var = p1 * (1 - p1) + p2 * (1 - p2)
        n = (z(1 - alpha / 2) + z(power)) ** 2 * var / d**2
        per = math.ceil(n)
        # power reached at 80% of that size, both tails counted
        n_half = max(1, int(per * 0.8))
        se = math.sqrt(var / n_half)
        shift = abs(d) / se
        pw = st.norm.cdf(shift - z(1 - alpha / 2)) + st.norm.cdf(-shift - z(1 - alpha / 2))
        out.append(
            {
                "baseline": base,
                "mde": mde,
                "relative": relative,
                "power": power,
                "variants": variants,
                "alpha": alpha,
                "per_variant": per,
                "total": per * variants,
                "power_at_n": n_half,
                "power_reached": num(pw),
                # days to finish at 137.5 new units/day with 1000 already exposed
                "days_needed": max(0, math.ceil((per * variants - 1000) / 137.5)),
            }
        )
    return out


def cuped_cases():
    rng = np.random.default_rng(20261123)
    out = []
    for name, n_a, n_b, rho, lift in [
        ("strong covariate", 800, 820, 0.8, 0.3),
        ("weak covariate, unequal", 300, 1500, 0.2, 0.0),
        ("revenue-like", 2000, 2000, 0.6, 1.5),
    ]:
        arms = []
        for n, l in [(n_a, 0.0), (n_b, lift)]:
            x = rng.normal(10, 3, n)
            y = 20 + l + rho * 2 * (x - 10) + rng.normal(0, 2 * math.sqrt(1 - rho * rho) + 0.5, n)
            x = np.round(x, 3)
            y = np.round(y, 3)
            arms.append(
                {
                    "n": int(n),
                    "post_sum": float(y.sum()),
                    "post_sum_squares": float((y * y).sum()),
                    "pre_sum": float(x.sum()),
                    "pre_sum_squares": float((x * x).sum()),
                    "sum_products": float((x * y).sum()),
                }
            )

        def mk(a):
            return RegressionAdjustedStatistic(
                n=a["n"],
                post_statistic=SampleMeanStatistic(n=a["n"], sum=a["post_sum"], sum_squares=a["post_sum_squares"]),
                pre_statistic=SampleMeanStatistic(n=a["n"], sum=a["pre_sum"], sum_squares=a["pre_sum_squares"]),
                post_pre_sum_of_products=a["sum_products"],
                theta=0,
            )

        res = {}
        for dt in ["absolute", "relative"]:
            t = TwoSidedTTest(mk(arms[0]), mk(arms[1]), FrequentistConfig(difference_type=dt))
            lo, hi = t.confidence_interval
            res[dt] = {
                "estimate": num(t.point_estimate),
                "ci": [num(lo), num(hi)],
                "p_value": num(t.p_value),
                "dof": num(t.dof),
            }
            res["theta"] = num(t.stat_a.theta)
            res["control_variance"] = num(t.stat_a.variance)
        out.append({"name": name, "control": arms[0], "treatment": arms[1], "expected": res})
    return out


def winsor_cases():
    rng = np.random.default_rng(99)
    out = []
    for name, q, n_a, n_b in [("revenue p99", 99.0, 250, 260), ("revenue p95", 95.0, 120, 90)]:
        a = np.round(rng.lognormal(2.0, 1.2, n_a), 2)
        b = np.round(rng.lognormal(2.1, 1.2, n_b), 2)
        cap = float(np.percentile(np.concatenate([a, b]), q))
        wa, wb = np.minimum(a, cap), np.minimum(b, cap)

        def mk(v):
            return SampleMeanStatistic(n=len(v), sum=float(v.sum()), sum_squares=float((v * v).sum()))

        res = {"cap": cap, "control_mean": float(wa.mean()), "treatment_mean": float(wb.mean())}
        for dt in ["absolute", "relative"]:
            t = TwoSidedTTest(mk(wa), mk(wb), FrequentistConfig(difference_type=dt))
            lo, hi = t.confidence_interval
            res[dt] = {"estimate": num(t.point_estimate), "ci": [num(lo), num(hi)], "p_value": num(t.p_value)}
        out.append({"name": name, "percentile": q, "control": a.tolist(), "treatment": b.tolist(), "expected": res})
    return out


def survival_cases():
    rng = np.random.default_rng(7)
    out = []
    for name, n_a, n_b, scale_b, horizon in [
        ("trial to paid, ties", 60, 70, 0.7, 30),
        ("small, heavy censoring", 15, 12, 1.3, 10),
        ("no difference", 80, 80, 1.0, 25),
    ]:
        groups = []
        for n, s in [(n_a, 1.0), (n_b, scale_b)]:
            t = np.ceil(rng.exponential(12.0 * s, n))  # whole days: many ties
            c = rng.uniform(0, horizon * 1.3, n)  # exposure so far
            dur = np.minimum(t, np.ceil(c))
            ev = t <= np.ceil(c)
            groups.append((dur.astype(float), ev.astype(bool)))
        curves = []
        for dur, ev in groups:
            kmf = KaplanMeierFitter().fit(dur, ev, alpha=0.05)
            times = sorted(set(dur.tolist()))
            sf = kmf.survival_function_.iloc[:, 0]
            ci = kmf.confidence_interval_
            cum = kmf._cumulative_sq_
            curves.append(
                [
                    {
                        "time": tt,
                        "survival": num(sf.loc[tt]),
                        "ci": [num(ci.iloc[:, 0].loc[tt]), num(ci.iloc[:, 1].loc[tt])],
                        "std_error": num(sf.loc[tt] * math.sqrt(cum.loc[tt])),
                        "at_risk": int(kmf.event_table.loc[tt, "at_risk"]),
                    }
                    for tt in times
                ]
            )
        lr = logrank_test(groups[0][0], groups[1][0], groups[0][1], groups[1][1])
        out.append(
            {
                "name": name,
                "control": {"durations": groups[0][0].tolist(), "events": groups[0][1].tolist()},
                "treatment": {"durations": groups[1][0].tolist(), "events": groups[1][1].tolist()},
                "expected": {
                    "control_curve": curves[0],
                    "treatment_curve": curves[1],
                    "log_rank_chi_square": num(lr.test_statistic),
                    "log_rank_p_value": num(lr.p_value),
                },
            }
        )
    return out


def main():
    data = {
        "comparisons": comparisons(),
        "fisher": fisher_cases(),
        "srm": srm_cases(),
        "adjust": adjust_cases(),
        "planning": planning_cases(),
        "cuped": cuped_cases(),
        "winsor": winsor_cases(),
        "survival": survival_cases(),
    }
    n = sum(len(v) for v in data.values())
    data["case_count"] = n
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {n} cases to {OUT}")


if __name__ == "__main__":
    main()
