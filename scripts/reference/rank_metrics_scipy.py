#!/usr/bin/env python3
"""Reference values for halo's rank metrics (crates/campaign/src/validate/metrics.rs tests).

    pip install scipy && python3 scripts/reference/rank_metrics_scipy.py

prints Spearman's rho (average ranks for ties) and Kendall's tau-b of the test vectors.
"""
from scipy.stats import kendalltau, spearmanr

X = [1.0, 2.0, 2.0, 3.0, 5.0, 4.0, 7.0, 7.0]
Y = [2.0, 1.0, 3.0, 3.0, 6.0, 4.0, 9.0, 8.0]
print("spearman_rho", repr(float(spearmanr(X, Y).statistic)))
print("kendall_tau_b", repr(float(kendalltau(X, Y).statistic)))
