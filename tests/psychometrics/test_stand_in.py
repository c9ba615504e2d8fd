"""Stand-in verdicts: alt-test, human ceiling, prediction-powered inference, active sampling.

References are the papers' definitions and the released code's defaults; every expected value
below is computed from the published formula, by hand, in the test, never from our output.
"""
import numpy as np
import pytest
from scipy import stats

import psychometrics as pm
from psychometrics.stand_in import (alt_test, distribution_uncertainty, human_ceiling,
                                    inclusion_probabilities, plan_sampling, ppi_correlation, ppi_mean,
                                    ppi_ols)
from psychometrics.stand_in.alt_test import (DEFAULT_ALPHA, DEFAULT_EPSILON, MIN_HUMANS,
                                             MIN_TARGETS_PER_HUMAN)
from psychometrics.stand_in.human_ceiling import icc_a1_from_sums


# --- the alternative annotator test ---------------------------------------------------------

def test_defaults_are_the_released_codes():
    # github.com/nitaytech/AltTest, alt_test_example.ipynb (commit 13eada2), def alt_test(...,
    # epsilon=0.2, q_fdr=0.05, min_humans_per_instance=2, min_instances_per_human=30); README
    # FAQ: "at least three human annotators", epsilon 0.2 experts / 0.15 skilled / 0.1 crowd.
    assert (DEFAULT_EPSILON, DEFAULT_ALPHA, MIN_TARGETS_PER_HUMAN, MIN_HUMANS) == (0.2, 0.05, 30, 3)


def _worked_example():
    """40 targets, 3 humans who always agree on categories, and an LLM that matches them on the
    first 28 targets and answers a category nobody chose on the last 12."""
    humans = np.tile(np.arange(40) % 3, (3, 1)).T.astype(float)
    llm = humans[:, 0].copy()
    llm[28:] = 9
    return humans, llm


def test_worked_example_by_hand():
    humans, llm = _worked_example()
    result = alt_test(humans, llm, alignment="accuracy", epsilon=0.2)
    # Leaving any human out: on 28 targets both align perfectly (W_f = W_h = 1, d = 0); on 12 the
    # human aligns (1) and the LLM does not (0): W_h = 1, W_f = 0, d = 1. So rho_f = 28/40 and
    # d has mean 12/40 = 0.3 and sd sqrt(0.3 * 0.7 * 40/39).
    d = np.r_[np.zeros(28), np.ones(12)]
    t = (d.mean() - 0.2) / (d.std(ddof=1) / np.sqrt(40))
    p = stats.t.cdf(t, df=39)  # H1: mean(d) < epsilon, one-sided
    for c in result.comparisons:
        assert c.llm_advantage == pytest.approx(28 / 40, abs=1e-12)
        assert c.human_advantage == pytest.approx(1.0, abs=1e-12)
        assert c.pvalue == pytest.approx(p, abs=1e-12)
        # Benjamini-Yekutieli with three equal p-values: p * m * (1 + 1/2 + 1/3) / m
        assert c.adjusted_pvalue == pytest.approx(min(1, p * (1 + 1 / 2 + 1 / 3)), abs=1e-12)
    assert p > 0.05  # mean(d) = 0.3 is not below epsilon = 0.2: the LLM loses to everyone
    assert result.winning_rate == 0.0 and result.passes is False
    assert result.advantage_probability == pytest.approx(0.7, abs=1e-12)
    # With the margin widened to 0.5 the human's 0.3 advantage is covered: the LLM wins.
    wide = alt_test(humans, llm, alignment="accuracy", epsilon=0.5)
    t5 = (d.mean() - 0.5) / (d.std(ddof=1) / np.sqrt(40))
    assert wide.comparisons[0].pvalue == pytest.approx(stats.t.cdf(t5, df=39), abs=1e-12)
    assert wide.winning_rate == 1.0 and wide.passes is True


def _loop_alt_test(humans, llm, epsilon, alpha):
    """The procedure as the paper states it (sec. 3, Algorithm 1), one target at a time."""
    n_t, n_h = humans.shape
    p_values, rho = [], []
    for j in range(n_h):
        d, wf = [], []
        for i in range(n_t):
            others = [humans[i, k] for k in range(n_h) if k != j and not np.isnan(humans[i, k])]
            if np.isnan(humans[i, j]) or np.isnan(llm[i]) or not others:
                continue
            s_f = -np.sqrt(np.mean([(llm[i] - o) ** 2 for o in others]))
            s_h = -np.sqrt(np.mean([(humans[i, j] - o) ** 2 for o in others]))
            wf.append(float(s_f >= s_h))
            d.append(float(s_h >= s_f) - float(s_f >= s_h))
        p_values.append(stats.ttest_1samp(d, epsilon, alternative="less").pvalue)
        rho.append(np.mean(wf))
    m = len(p_values)
    order = np.argsort(p_values)
    c_m = np.sum(1 / np.arange(1, m + 1))
    passed = [k for k in range(m) if p_values[order[k]] <= (k + 1) / m * alpha / c_m]
    wins = (max(passed) + 1) if passed else 0  # step-up: everything up to the largest passing rank
    return wins / m, float(np.mean(rho))


@pytest.mark.parametrize("llm_noise", [pytest.param(0.3, id="better-llm"), pytest.param(0.8, id="similar"),
                                       pytest.param(2.0, id="worse-llm")])
def test_matches_the_papers_procedure_step_by_step(llm_noise):
    rng = np.random.default_rng(7)
    truth = rng.normal(size=80)
    humans = truth[:, None] + rng.normal(scale=0.8, size=(80, 4))
    humans[rng.random((80, 4)) < 0.15] = np.nan
    llm = truth + rng.normal(scale=llm_noise, size=80)
    omega, rho = _loop_alt_test(humans, llm, 0.2, 0.05)
    result = alt_test(humans, llm, alignment="neg_rmse", epsilon=0.2, alpha=0.05)
    assert result.winning_rate == pytest.approx(omega, abs=1e-12)
    assert result.advantage_probability == pytest.approx(rho, abs=1e-12)


def test_below_minimum_sizes_no_verdict():
    humans, llm = _worked_example()
    two = alt_test(humans[:, :2], llm, alignment="accuracy")
    assert two.passes is None and two.winning_rate is None and "at least 3" in two.reason
    few = alt_test(humans[:20], llm[:20], alignment="accuracy")
    assert few.passes is None and set(few.skipped_humans) == {"0", "1", "2"}
    assert few.epsilon == 0.2  # the margin is shown even without a verdict


# --- the human ceiling ----------------------------------------------------------------------

def test_pair_icc_from_sums_is_mcgraw_wong_a1():
    # Shrout & Fleiss (1979) Table 1, judges 1 and 3: ICC(A,1) of the two columns, against the
    # library's ICC2 (itself checked against Shrout & Fleiss and R's psych::ICC).
    data = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
                     [6, 2, 4, 7]], dtype=float)[:, [0, 2]]
    x, y = data[:, 0], data[:, 1]
    ours = icc_a1_from_sums(6, x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum())
    assert ours == pytest.approx(pm.icc_matrix(data)["ICC2"].estimate, abs=1e-10)


def test_ceiling_ranks_a_noisy_llm_below_every_human():
    rng = np.random.default_rng(3)
    truth = rng.normal(size=300)
    humans = truth[:, None] + rng.normal(scale=0.5, size=(300, 3))
    result = human_ceiling(humans, truth + rng.normal(scale=2, size=300), n_boot=300,
                           clusters=np.repeat(np.arange(60), 5))
    assert result.below_every_human and result.rank == 4
    assert all(c.ci_high < 0 for c in result.comparisons)
    good = human_ceiling(humans, truth, n_boot=300)
    assert good.rank == 1 and not good.below_every_human


def test_ceiling_nominal_uses_agreement_rate():
    humans, llm = _worked_example()
    result = human_ceiling(humans, llm, level="nominal", n_boot=200)
    assert result.llm_agreement == pytest.approx(28 / 40, abs=1e-12)
    assert set(result.human_agreements.values()) == {1.0}


# --- prediction-powered inference -----------------------------------------------------------

def _study(seed=0, n_total=1000, share=0.1, bias=0.5):
    rng = np.random.default_rng(seed)
    truth = rng.normal(3, 1, size=n_total)
    llm = truth + bias + rng.normal(0, 0.4, size=n_total)
    human = np.where(rng.random(n_total) < share, truth + rng.normal(0, 0.2, size=n_total), np.nan)
    return truth, llm, human


def test_ppi_mean_is_the_published_ppi_plus_plus_formula():
    # Angelopoulos, Duchi & Zrnic (2023), PPI++, sec. 2: theta = lambda mean(f_unlabeled) +
    # mean(Y - lambda f_labeled); variance lambda^2 var(f_u)/N + var(Y - lambda f)/n;
    # lambda = cov(Y, f) / ((1 + n/N) var(f)) clipped to [0, 1].
    _, llm, human = _study()
    lab = ~np.isnan(human)
    y, fl, fu = human[lab], llm[lab], llm[~lab]
    n, big_n = len(y), len(fu)
    lam = np.clip(np.mean((y - y.mean()) * (fl - fl.mean())) / ((1 + n / big_n) * np.var(np.r_[fl, fu], ddof=1)), 0, 1)
    theta = lam * fu.mean() + np.mean(y - lam * fl)
    se = np.sqrt(lam ** 2 * np.var(fu) / big_n + np.var(y - lam * fl) / n)
    z = stats.norm.ppf(0.975)
    result = ppi_mean(human, llm, small_sample=False)  # ppi_py's (large-sample) interval
    assert result.power_tuning == pytest.approx(lam, abs=1e-12)
    assert result.estimate == pytest.approx(theta, abs=1e-10)
    assert result.ci_low == pytest.approx(theta - z * se, abs=1e-10)
    assert result.ci_high == pytest.approx(theta + z * se, abs=1e-10)
    assert result.human_only.estimate == pytest.approx(y.mean(), abs=1e-12)
    assert result.effective_n == pytest.approx(n / result.width_ratio ** 2, abs=1e-9)
    assert result.llm_only.estimate == pytest.approx(llm.mean(), abs=1e-12)
    assert "random sample" in result.assumption


def test_ppi_mean_small_sample_interval_is_students_t():
    # The default interval: the same PPI++ estimate and lambda; the rectifier's variance with
    # n - 2 and Student's t with n - 2 df, for its mean and the tuned slope lambda (the
    # regression estimator's variance, Cochran 1977, Sampling Techniques, sec. 7.3), every
    # residual times its g-weight 1 - (fbar_l - fbar_u)(f_i - fbar_l) / ((1 + n/N) var f), from
    # d theta / d lambda and ppi_py's lambda = cov / ((1 + n/N) var f) (Särndal, Swensson &
    # Wretman 1989, Biometrika 76(3), 527-537); the human-only interval is the classical t
    # interval.
    _, llm, human = _study(seed=3, share=0.04)
    lab = ~np.isnan(human)
    y, fl, fu = human[lab], llm[lab], llm[~lab]
    n = len(y)
    result = ppi_mean(human, llm)
    lam, theta = result.power_tuning, result.estimate
    assert 0 < lam < 1
    rectifier = y - lam * fl
    g = 1 - (fl.mean() - fu.mean()) * (fl - fl.mean()) / ((1 + n / len(fu)) * np.var(np.r_[fl, fu], ddof=1))
    se = np.sqrt(lam ** 2 * np.var(fu) / len(fu) + np.sum((g * (rectifier - rectifier.mean())) ** 2) / (n - 2) / n)
    t = stats.t.ppf(0.975, n - 2)
    assert result.ci_low == pytest.approx(theta - t * se, abs=1e-10)
    assert result.ci_high == pytest.approx(theta + t * se, abs=1e-10)
    classical = stats.ttest_1samp(y, 0).confidence_interval(0.95)
    assert (result.human_only.ci_low, result.human_only.ci_high) == pytest.approx(tuple(classical), abs=1e-10)
    assert result.estimate == pytest.approx(ppi_mean(human, llm, small_sample=False).estimate, abs=1e-12)


def _quadratic_form_traces(w, clusters, covariate):
    """Brute force: A = (I - P)' K K' (I - P) over the human-rated (w > 0), P the weighted
    least-squares hat matrix of [1, covariate], K the cluster indicator times w; returns
    (sum w^2 / tr A, tr(A)^2 / tr(A^2)) (Satterthwaite 1946; Bell & McCaffrey 2002)."""
    lab = w > 0
    wl = w[lab]
    x = np.ones((len(wl), 1)) if covariate is None else np.column_stack([np.ones(len(wl)), covariate[lab]])
    hat = x @ np.linalg.inv(x.T @ (wl[:, None] * x)) @ x.T * wl
    groups = np.arange(len(wl)) if clusters is None else np.unique(clusters[lab], return_inverse=True)[1]
    k = np.zeros((len(wl), groups.max() + 1))
    k[np.arange(len(wl)), groups] = wl
    resid = np.eye(len(wl)) - hat
    a = resid.T @ k @ k.T @ resid
    return wl @ wl / np.trace(a), np.trace(a) ** 2 / np.trace(a @ a)


@pytest.mark.parametrize("clustered", [False, True])
@pytest.mark.parametrize("with_covariate", [False, True])
def test_working_independence_df_is_the_satterthwaite_df_of_the_quadratic_form(clustered, with_covariate):
    from psychometrics.stand_in.ppi import working_independence_df

    rng = np.random.default_rng(4)
    w = np.where(rng.random(60) < 0.6, 1 / rng.uniform(0.05, 0.5, size=60), 0.0)
    clusters = rng.integers(0, 20, size=60) if clustered else None
    covariate = rng.normal(size=60) if with_covariate else None
    assert working_independence_df(w, clusters, covariate) == pytest.approx(
        _quadratic_form_traces(w, clusters, covariate), rel=1e-10)


def test_working_independence_df_reduces_to_student_and_cochran():
    # Equal weights, no clusters: n / (n - 1) and n - 1 df (Student 1908); with a fitted slope,
    # n / (n - 2) and n - 2 (Cochran 1977, sec. 7.3); equal clusters of 3: G / (G - 1), G - 1.
    from psychometrics.stand_in.ppi import working_independence_df

    ones = np.ones(30)
    assert working_independence_df(ones) == pytest.approx((30 / 29, 29), rel=1e-12)
    assert working_independence_df(ones, covariate=np.arange(30.0)) == pytest.approx((30 / 28, 28), rel=1e-12)
    assert working_independence_df(ones, clusters=np.repeat(np.arange(10), 3)) == pytest.approx((10 / 9, 9),
                                                                                                  rel=1e-12)


@pytest.mark.parametrize("clustered", [False, True])
def test_weighted_ppi_mean_interval_by_hand(clustered):
    # The difference estimator's small-sample interval from its documented formula: the
    # rectifier's influence values c w_i (y_i - ybar_w - lam (f_i - fbar_w)) summed per
    # cluster, scaled by the bias factor kappa, plus the LLM mean's lam (f_i - fbar); Student's
    # t with the Welch-Satterthwaite df of the two parts; kappa and the rectifier's df from the
    # brute-force quadratic form above; every cluster's influence value times its g-weight
    # 1 - N (fbar - fbar_w) d_g / sum d^2, d_g = lam's regressor (Särndal, Swensson & Wretman
    # 1989), lambda the least-squares coefficient of the cluster sums minimising the variance.
    rng = np.random.default_rng(8)
    n_total = 400
    clusters = np.repeat(np.arange(80), 5) if clustered else None
    truth = rng.normal(size=n_total)
    llm = 0.6 * truth + 1 + rng.normal(scale=0.6, size=n_total)
    pi = inclusion_probabilities(np.abs(rng.normal(1, 0.5, size=n_total)), 40)
    lab = rng.random(n_total) < pi
    human = np.where(lab, truth, np.nan)
    result = ppi_mean(human, llm, clusters=clusters, inclusion_probability=pi)
    lam = result.power_tuning
    w = np.where(lab, 1 / pi, 0.0)
    c = n_total / w.sum()
    ybar, fbar_w = np.sum(w * np.nan_to_num(human)) / w.sum(), np.sum(w * llm) / w.sum()
    rect = np.where(lab, c * w * (np.nan_to_num(human) - ybar - lam * (llm - fbar_w)), 0.0)
    llm_part = lam * (llm - llm.mean())
    h_psi = np.where(lab, c * w * (np.nan_to_num(human) - ybar), 0.0)
    rect_f, f_dev = np.where(lab, c * w * (llm - fbar_w), 0.0), llm - llm.mean()
    if clustered:
        rect, llm_part, h_psi, rect_f, f_dev = (np.bincount(clusters, weights=v)
                                                 for v in (rect, llm_part, h_psi, rect_f, f_dev))
    d = f_dev - rect_f
    assert lam == pytest.approx(-np.sum(h_psi * d) / np.sum(d ** 2), abs=1e-12)
    g = 1 - n_total * (llm.mean() - fbar_w) * d / np.sum(d ** 2)
    rect, llm_part = g * rect, g * llm_part
    units = len(rect)
    kappa, df_rect = _quadratic_form_traces(w, clusters, llm)
    v_rect, v_llm = kappa * np.sum(rect ** 2), np.sum(llm_part ** 2) * units / (units - 1)
    df = (v_rect + v_llm) ** 2 / (v_rect ** 2 / df_rect + v_llm ** 2 / (units - 1))
    half = stats.t.ppf(0.975, df) * np.sqrt(np.sum((np.sqrt(kappa) * rect + llm_part) ** 2)) / n_total
    assert result.estimate == pytest.approx(lam * llm.mean() + ybar - lam * fbar_w, abs=1e-12)
    assert (result.ci_low, result.ci_high) == pytest.approx((result.estimate - half, result.estimate + half),
                                                            abs=1e-10)
    h_kappa, h_df = _quadratic_form_traces(w, clusters, None)
    h_half = stats.t.ppf(0.975, h_df) * np.sqrt(h_kappa * np.sum(h_psi ** 2)) / n_total
    assert (result.human_only.ci_low, result.human_only.ci_high) == pytest.approx((ybar - h_half, ybar + h_half),
                                                                                  abs=1e-10)


def test_bootstrap_t_is_efron_tibshiranis_interval():
    # Efron & Tibshirani (1993), eq. 12.22: [theta - t*_(1 - a) se, theta - t*_(a) se] with
    # t*_b = (theta*_b - theta) / se*_b, here for a mean and its standard error.
    from psychometrics.stand_in._resample import bootstrap_t, resampling

    rng = np.random.default_rng(6)
    x = rng.exponential(size=25)
    counts = resampling(25, n_boot=999, seed=2).counts
    t_star, means, ses = [], [], []
    for row in counts.astype(int):
        sample = np.repeat(x, row)
        means.append(sample.mean())
        ses.append(sample.std(ddof=1) / np.sqrt(25))
        t_star.append((sample.mean() - x.mean()) / ses[-1])
    se = x.std(ddof=1) / np.sqrt(25)
    expected = (x.mean() - np.quantile(t_star, 0.975) * se, x.mean() - np.quantile(t_star, 0.025) * se)
    assert bootstrap_t(np.array(means), np.array(ses), x.mean(), se, 0.95) == pytest.approx(expected, abs=1e-12)
    assert expected[1] - x.mean() > x.mean() - expected[0]  # right-skewed data: the long side is the right
    # Hall (1988b), JRSS B 50(1), 35-45: the symmetric interval theta +- |t*|_(1 - alpha) se.
    half = np.quantile(np.abs(t_star), 0.95) * se
    assert bootstrap_t(np.array(means), np.array(ses), x.mean(), se, 0.95, symmetric=True) == pytest.approx(
        (x.mean() - half, x.mean() + half), abs=1e-12)


def _pearson_influence(x, y):
    """The influence values of Pearson's r, x~ y~ - r (x~^2 + y~^2) / 2 with x~, y~ standardised
    (Devlin, Gnanadesikan & Kettenring 1975, Biometrika 62(3), 531-545)."""
    xs, ys = (x - x.mean()) / x.std(), (y - y.mean()) / y.std()
    r = np.mean(xs * ys)
    return xs * ys - r * (xs ** 2 + ys ** 2) / 2


def test_human_only_r_interval_is_the_bootstrap_t_of_pearson_r_on_fisher_z():
    # The human-only interval: per resample Pearson r of the repeated human-rated targets, its
    # delta-method standard error sqrt(sum IF^2) / n from the closed-form influence values
    # above, Fisher's z (se / (1 - r^2)), and the symmetric interval z +- |t*|_(0.95) se (Hall
    # 1988b, the default) or eq. 12.22 (equal-tailed), back-transformed.
    from psychometrics.stand_in._resample import resampling

    rng = np.random.default_rng(5)
    truth = rng.normal(size=600)
    criterion = 0.5 * truth + rng.normal(scale=np.sqrt(0.75), size=600)
    llm = 0.8 * truth + 1 + rng.normal(scale=0.4, size=600)
    lab = np.zeros(600, bool)
    lab[rng.choice(600, 60, replace=False)] = True
    resample = resampling(600, n_boot=400, seed=3)
    result = ppi_correlation(np.where(lab, truth, np.nan), llm, criterion, resample=resample)
    equal_tailed = ppi_correlation(np.where(lab, truth, np.nan), llm, criterion, resample=resample,
                                   interval="equal_tailed")

    def z_and_se(x, y):
        r = np.corrcoef(x, y)[0, 1]
        return np.arctanh(r), np.sqrt(np.sum(_pearson_influence(x, y) ** 2)) / len(x) / (1 - r ** 2)

    z, se = z_and_se(truth[lab], criterion[lab])
    t_star = []
    for row in resample.counts[:, lab].astype(int):
        z_b, se_b = z_and_se(np.repeat(truth[lab], row), np.repeat(criterion[lab], row))
        t_star.append((z_b - z) / se_b)
    expected = np.tanh([z - np.quantile(t_star, 0.975) * se, z - np.quantile(t_star, 0.025) * se])
    assert (equal_tailed.human_only.ci_low, equal_tailed.human_only.ci_high) == pytest.approx(tuple(expected),
                                                                                            abs=1e-9)
    half = np.quantile(np.abs(t_star), 0.95) * se
    assert (result.human_only.ci_low, result.human_only.ci_high) == pytest.approx(
        tuple(np.tanh([z - half, z + half])), abs=1e-9)
    assert result.estimate == equal_tailed.estimate and "symmetric" in result.method


@pytest.mark.parametrize("clustered", [False, True])
def test_ppi_r_standard_error_is_the_infinitesimal_jackknife(clustered):
    # The delta-method standard error of the prediction-powered r (controls held at their fit)
    # equals the infinitesimal jackknife: sqrt(sum_g U_g^2) / N with U_i the derivative of the
    # estimate in the direction of target i's point mass (Jaeckel 1972; Efron 1982, The
    # Jackknife, the Bootstrap and Other Resampling Plans, ch. 6), summed within clusters.
    from psychometrics.stand_in import ppi_pearson as pp

    rng = np.random.default_rng(9)
    n_total = 300
    truth = rng.normal(size=n_total)
    criterion = 0.5 * truth + rng.normal(scale=0.8, size=n_total)
    llm = 0.8 * truth + 1 + rng.normal(scale=0.5, size=n_total)
    pi = np.clip(0.2 * np.exp(rng.normal(0, 0.5, size=n_total)), 0.02, 1)
    lab = rng.random(n_total) < pi
    w = np.where(lab, 1 / pi, 0.0)
    z, zhat = pp._moments(np.where(lab, truth, np.nan), llm, criterion)
    feats = np.column_stack([w, w[:, None] * z, w[:, None] * zhat, zhat, np.ones(n_total)])
    total = feats.sum(axis=0)
    design = np.column_stack([np.ones(n_total), zhat])
    a = pp._r_gradient(pp._human_moments(total))
    b = np.linalg.lstsq(np.sqrt(w)[:, None] * design, np.sqrt(w) * (z @ a), rcond=None)[0][1:]
    cross = np.column_stack([(w[:, None, None] * design[:, :, None] * design[:, None, :]).reshape(n_total, -1),
                             (w[:, None, None] * design[:, :, None] * z[:, None, :]).reshape(n_total, -1)])
    assert pp._solve_controls(cross.sum(axis=0), a) == pytest.approx(b, rel=1e-6)  # weighted least squares
    eps, mass = 1e-6, np.full(n_total, 1 / n_total)
    influence = np.empty(n_total)
    for i in range(n_total):
        point = np.zeros(n_total)
        point[i] = 1
        up, down = ((1 - e) * mass + e * point for e in (eps, -eps))
        influence[i] = (pp._r_estimates(up @ feats, b)[0] - pp._r_estimates(down @ feats, b)[0]) / (2 * eps)
    units = feats
    if clustered:
        groups = np.repeat(np.arange(60), 5)
        influence, units = np.bincount(groups, weights=influence), np.add.reduceat(feats, np.arange(0, n_total, 5))
    ours = pp._standard_errors(None, units, total, b)[0]
    assert ours == pytest.approx(np.sqrt(np.sum(influence ** 2)) / n_total, rel=1e-6)


def test_ipw_with_equal_probabilities_is_the_difference_estimator():
    _, llm, human = _study(seed=1)
    lab = ~np.isnan(human)
    pi = np.full(len(llm), lab.mean())
    result = ppi_mean(human, llm, inclusion_probability=pi)
    lam = result.power_tuning
    # Zrnic & Candès (2024): mean over all targets of lam f + (Y - lam f) xi / pi, Hajek-normalised.
    expected = lam * llm.mean() + np.mean(human[lab] - lam * llm[lab])
    assert result.estimate == pytest.approx(expected, abs=1e-12)
    assert "inclusion probabilities" in result.assumption


@pytest.mark.parametrize("design", ["random", "clustered", "active"])
def test_ppi_mean_covers_the_truth(design):
    hits, ratios = 0, []
    for seed in range(150):
        rng = np.random.default_rng(seed)
        clusters = np.repeat(np.arange(100), 6)
        effect = rng.normal(0, 0.7, size=100)[clusters] if design == "clustered" else 0
        truth = rng.normal(0, 1, size=600) + effect
        llm = 0.7 * truth + 0.8 + rng.normal(0, 0.5, size=600)
        if design == "active":
            pi = inclusion_probabilities(np.abs(rng.normal(1, 0.5, size=600)), 90)
        else:
            pi = np.full(600, 0.15)
        human = np.where(rng.random(600) < pi, truth, np.nan)
        result = ppi_mean(human, llm, clusters=clusters if design == "clustered" else None,
                          inclusion_probability=pi if design == "active" else None)
        hits += result.ci_low <= truth.mean() <= result.ci_high
        ratios.append(result.width_ratio)
    assert hits / 150 >= 0.9
    assert np.median(ratios) < 1


def test_ppi_correlation_narrows_and_keeps_the_truth():
    rng = np.random.default_rng(5)
    truth = rng.normal(size=2000)
    criterion = 0.5 * truth + rng.normal(scale=np.sqrt(0.75), size=2000)
    llm = 0.8 * truth + 1 + rng.normal(scale=0.3, size=2000)
    human = np.where(rng.random(2000) < 0.1, truth, np.nan)
    result = ppi_correlation(human, llm, criterion, n_boot=500)
    lab = ~np.isnan(human)
    assert result.human_only.estimate == pytest.approx(np.corrcoef(truth[lab], criterion[lab])[0, 1], abs=1e-10)
    assert result.llm_only.estimate == pytest.approx(np.corrcoef(llm, criterion)[0, 1], abs=1e-12)
    assert result.ci_low < 0.5 < result.ci_high
    assert result.width_ratio < 0.8


def test_ppi_ols_group_difference():
    rng = np.random.default_rng(2)
    group = rng.integers(0, 2, size=1200).astype(float)
    truth = 1 + 0.5 * group + rng.normal(size=1200)
    llm = truth + 0.3 + rng.normal(scale=0.3, size=1200)
    lab = rng.random(1200) < 0.15
    x = np.column_stack([np.ones(1200), group])
    out = ppi_ols(x[lab], truth[lab], llm[lab], x[~lab], llm[~lab])
    assert out["ci_low"][1] < 0.5 < out["ci_high"][1]
    assert out["width_ratio"][1] < 1


def test_too_few_human_ratings_is_a_sentence():
    _, llm, human = _study()
    human[:] = np.nan
    human[:5] = 1
    with pytest.raises(ValueError, match="at least 10 human-rated"):
        ppi_mean(human, llm)


# --- active sampling ------------------------------------------------------------------------

def test_inclusion_probabilities_sum_to_budget_and_follow_uncertainty():
    u = np.random.default_rng(0).gamma(1, size=200)
    u[0] = 400.0  # would exceed 1 without the cap
    pi = inclusion_probabilities(u, 40)
    assert pi.sum() == pytest.approx(40, abs=1e-9)
    assert pi.max() <= 1 and pi.min() >= 0.3 * 40 / 200 - 1e-12
    assert pi[0] == 1.0
    order = np.argsort(u)
    assert np.all(np.diff(pi[order]) >= -1e-12)


def test_distribution_uncertainty():
    # variance of a two-point distribution on 1 and 5 with equal mass: 4
    assert distribution_uncertainty({"1": 0.5, "5": 0.5}) == pytest.approx(4.0)
    assert distribution_uncertainty({"1": 1.0}) == 0.0
    assert np.isnan(distribution_uncertainty(None))


def test_plan_is_reproducible():
    a = plan_sampling(np.arange(100.0), 10, seed=3)
    b = plan_sampling(np.arange(100.0), 10, seed=3)
    assert a.selected == b.selected and a.expected_size == pytest.approx(10)


def test_ceiling_with_many_raters_uses_each_raters_own_targets():
    # 300 targets, rater j rates targets j .. j+4 (300 raters, 5 ratings each, the minimum): every
    # human's comparison is on the 5 targets they rated; the leave-one-out consensus there is the
    # mean of the other four ratings, computed here by hand for one rater.
    rng = np.random.default_rng(4)
    n, k = 300, 5
    truth = rng.normal(size=n)
    humans = np.full((n, n), np.nan)
    for i in range(n):
        for step in range(k):
            humans[i, (i - step) % n] = truth[i] + rng.normal(scale=0.5)
    llm = truth + rng.normal(scale=0.5, size=n)
    result = human_ceiling(humans, llm, n_boot=50)
    assert len(result.comparisons) == n and all(c.n == k for c in result.comparisons)
    first = result.comparisons[0]  # rater 0 rated targets 0 .. 4
    rows = list(range(k))
    others = np.array([np.nanmean(np.delete(humans[i], 0)) for i in rows])
    own, f = humans[rows, 0], llm[rows]
    sums = lambda x, y: (k, x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum())  # noqa: E731
    assert first.human_agreement == pytest.approx(icc_a1_from_sums(*sums(own, others)), abs=1e-12)
    assert first.llm_agreement == pytest.approx(icc_a1_from_sums(*sums(f, others)), abs=1e-12)
