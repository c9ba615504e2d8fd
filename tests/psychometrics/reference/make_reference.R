# Generates reference values for tests/psychometrics from R's psych, psychTools and lavaan.
# Run from the repository root:  Rscript tests/psychometrics/reference/make_reference.R
# Writes tests/psychometrics/reference/r_reference.json and bfi_keyed_complete.csv.
# Installed on Debian 12 with: apt-get install r-base-core r-cran-psych r-cran-psychtools
#   r-cran-lavaan r-cran-gparotation r-cran-semtools r-cran-jsonlite
suppressPackageStartupMessages({
  library(psych); library(psychTools); library(lavaan); library(GPArotation); library(jsonlite)
})
out_dir <- "tests/psychometrics/reference"
ref <- list()
ref$versions <- list(
  R = R.version.string,
  psych = as.character(packageVersion("psych")),
  psychTools = as.character(packageVersion("psychTools")),
  lavaan = as.character(packageVersion("lavaan")),
  GPArotation = as.character(packageVersion("GPArotation")),
  jsonlite = as.character(packageVersion("jsonlite"))
)

# --- Shrout & Fleiss (1979) Table 1 ------------------------------------------------------
sf <- matrix(c(9,2,5,8, 6,1,3,2, 8,4,6,8, 7,1,2,6, 10,5,6,9, 6,2,4,7), ncol = 4, byrow = TRUE)
icc <- psych::ICC(sf, lmer = FALSE)$results
ref$icc_sf <- list(type = as.character(icc$type), ICC = icc$ICC, F = icc$F, df1 = icc$df1,
                   df2 = icc$df2, p = icc$p, lower = icc[["lower bound"]],
                   upper = icc[["upper bound"]])

# --- bfi: reverse-keyed 25 items, complete cases ------------------------------------------
items <- psychTools::bfi[, 1:25]
rev_items <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
for (it in rev_items) items[[it]] <- 7 - items[[it]]
keyed <- na.omit(items)
write.csv(keyed, file.path(out_dir, "bfi_keyed_complete.csv"), row.names = FALSE)
ref$bfi_reversed <- rev_items
ref$bfi_n <- nrow(keyed)

neuro <- keyed[, c("N1", "N2", "N3", "N4", "N5")]
a <- psych::alpha(neuro, check.keys = FALSE, warnings = FALSE)
ref$alpha_N <- list(raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
                    feldt_lower = a$feldt$lower.ci[[1]], feldt_upper = a$feldt$upper.ci[[1]],
                    r_drop = a$item.stats$r.drop, alpha_if_dropped = a$alpha.drop$raw_alpha)

f1 <- psych::fa(neuro, nfactors = 1, fm = "minres")
f1ml <- psych::fa(neuro, nfactors = 1, fm = "ml")
om1 <- suppressWarnings(psych::omega(neuro, nfactors = 1, fm = "minres", plot = FALSE))
ref$fa1_N <- list(minres_loadings = as.numeric(f1$loadings),
                  ml_loadings = as.numeric(f1ml$loadings),
                  omega_total_minres = om1$omega.tot)

ace <- keyed[, c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5))]
om3 <- psych::omega(ace, nfactors = 3, fm = "minres", rotate = "oblimin", plot = FALSE)
ref$omega_ACE <- list(items = colnames(ace), omega_h = om3$omega_h, omega_total = om3$omega.tot,
                      alpha = om3$alpha, g_loadings = as.numeric(om3$schmid$sl[, 1]))
fa3 <- psych::fa(ace, nfactors = 3, fm = "minres", rotate = "oblimin")
ref$fa3_ACE <- list(loadings = unclass(fa3$loadings)[, ], phi = fa3$Phi)

model <- "N =~ N1 + N2 + N3 + N4 + N5"
fit <- lavaan::cfa(model, data = neuro, std.lv = TRUE, estimator = "ML")
fm <- lavaan::fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
                                  "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "baseline.chisq",
                                  "baseline.df"))
std <- lavaan::standardizedSolution(fit)
ref$cfa_N <- c(as.list(fm), list(std_loadings = std$est.std[std$op == "=~"]))

# --- Cohen's kappa: Fleiss, Levin & Paik (2003) Table 18.1 -----------------------------
flp <- matrix(c(75, 1, 4, 5, 4, 1, 0, 0, 10), nrow = 3, byrow = TRUE)
ck <- psych::cohen.kappa(flp)
ref$kappa_flp <- list(kappa = ck$kappa, weighted_kappa = ck$weighted.kappa,
                      var_kappa = ck$var.kappa, var_weighted = ck$var.weighted,
                      confid = unclass(ck$confid))

# --- Correlations ---------------------------------------------------------------------
x <- keyed$N1[1:200]; y <- keyed$N2[1:200]
ct <- cor.test(x, y, method = "pearson")
ref$cor_N1N2_200 <- list(pearson = unname(ct$estimate), pearson_lower = ct$conf.int[1],
                         pearson_upper = ct$conf.int[2],
                         spearman = cor(x, y, method = "spearman"),
                         kendall = cor(x, y, method = "kendall"))

# =========================================================================================
# Issue 16 (parity with R): psych::alpha and psych::omega extras, irr's z/p and detail tables,
# Light's kappa, irr::agree, cor.test's t, semTools::compRelSEM (one-factor and two-level).
# =========================================================================================

# --- psych::alpha: G6, average r, S/N, Duhachek-Iacobucci ase, alpha.drop -----------------
ref$alpha_N_extra <- list(
  G6 = a$total[["G6(smc)"]], average_r = a$total$average_r, signal_noise = a$total[["S/N"]],
  ase = a$total$ase, median_r = a$total$median_r,
  duhachek_lower = a$total$raw_alpha - 1.96 * a$total$ase,
  duhachek_upper = a$total$raw_alpha + 1.96 * a$total$ase,
  drop_raw_alpha = a$alpha.drop$raw_alpha, drop_std_alpha = a$alpha.drop$std.alpha,
  drop_G6 = a$alpha.drop[["G6(smc)"]], drop_average_r = a$alpha.drop$average_r,
  drop_signal_noise = a$alpha.drop[["S/N"]], drop_alpha_se = a$alpha.drop[["alpha se"]],
  drop_var_r = a$alpha.drop$var.r, drop_median_r = a$alpha.drop$med.r)
# A constant item: psych drops it with a warning ("had no variance and was deleted").
neuro_const <- cbind(neuro, K = 3)
a_const <- suppressWarnings(psych::alpha(neuro_const, check.keys = FALSE, warnings = FALSE))
ref$alpha_N_const <- list(raw_alpha = a_const$total$raw_alpha, nvar = a_const$nvar)

# --- psych::omega: omega_lim, ECV, G6, omega.group; the one-factor case --------------------
ref$omega_ACE_extra <- list(omega_lim = om3$omega.lim, ECV = unname(om3$ECV), G6 = om3$G6,
                            group_total = om3$omega.group$total,
                            group_general = om3$omega.group$general,
                            group_group = om3$omega.group$group,
                            # print(om3)'s variance shares, unrounded (psych rounds first).
                            sums_of_squares = unname(colSums(om3$schmid$sl[, 1:4]^2)),
                            mean_p2 = mean(om3$schmid$sl[, "p2"]),
                            sd_p2 = sd(om3$schmid$sl[, "p2"]))
ref$omega_N_one <- list(omega_h = om1$omega_h, omega_total = om1$omega.tot,
                        omega_lim = om1$omega.lim, ECV = unname(om1$ECV), G6 = om1$G6)

# --- irr (0.84.1): kappa2, kappam.fleiss (z, p, detail, exact), kappam.light, agree --------
# Debian 12 does not ship r-cran-irr; with IRR_SOURCE_DIR set, irr's own R sources are
# sourced from that folder instead of library(irr).
diag <- read.csv(file.path(out_dir, "fleiss1971_diagnoses.csv"), stringsAsFactors = TRUE)
diag <- diag[, sapply(diag, is.factor) | sapply(diag, is.character), drop = FALSE]
if (requireNamespace("irr", quietly = TRUE)) {
  library(irr); irr_version <- as.character(packageVersion("irr"))
} else if (nzchar(Sys.getenv("IRR_SOURCE_DIR"))) {
  for (f in list.files(Sys.getenv("IRR_SOURCE_DIR"), "[.]R$", full.names = TRUE)) source(f)
  irr_version <- "0.84.1 (CRAN R sources)"
} else irr_version <- NA
if (!is.na(irr_version)) {
  ref$versions$irr <- irr_version
  fk <- kappam.fleiss(diag, detail = TRUE)
  fx <- kappam.fleiss(diag, exact = TRUE)
  lk <- kappam.light(diag)
  k12 <- kappa2(diag[, 1:2])
  ref$irr_diagnoses <- list(
    columns = colnames(diag),
    fleiss_kappa = fk$value, fleiss_z = fk$statistic, fleiss_p = fk$p.value,
    detail_levels = rownames(fk$detail), detail_kappa = unname(fk$detail[, 1]),
    detail_z = unname(fk$detail[, 2]), detail_p = unname(fk$detail[, 3]),
    fleiss_exact = fx$value, light_kappa = lk$value, light_z = lk$statistic,
    light_p = lk$p.value, kappa2_12 = k12$value, kappa2_12_z = k12$statistic,
    kappa2_12_p = k12$p.value, agree = agree(diag)$value,
    # irr's kappa2 relabels factor levels when a rater leaves a category unused (rater6 never
    # says "1. Depression"), so kappam.light's value is off here; psych's average of the
    # pairwise Cohen kappas is Light's kappa.
    psych_av_kappa = psych::cohen.kappa(diag)$av.kappa)
  ref$irr_sf <- list(agree_0 = agree(sf)$value, agree_4 = agree(sf, tolerance = 4)$value,
                     agree_5 = agree(sf, tolerance = 5)$value)
}

# --- irrCAC (1.0): Conger's kappa and Krippendorff's alpha with Gwet's standard errors -----
# Not packaged for Debian 12 either: library(irrCAC) when installed, else the functions
# conger.kappa.raw, krippen.alpha.raw (and the weights) sourced from IRRCAC_SOURCE_DIR.
if (requireNamespace("irrCAC", quietly = TRUE)) {
  library(irrCAC); irrcac_version <- as.character(packageVersion("irrCAC"))
} else if (nzchar(Sys.getenv("IRRCAC_SOURCE_DIR"))) {
  for (f in list.files(Sys.getenv("IRRCAC_SOURCE_DIR"), "[.][Rr]$", full.names = TRUE)) source(f)
  irrcac_version <- "1.0 (R sources of conger.kappa.raw, krippen.alpha.raw)"
} else irrcac_version <- NA
if (!is.na(irrcac_version)) {
  ref$versions$irrCAC <- irrcac_version
  # Krippendorff (2011) reliability data = irrCAC's cac.raw4raters (12 units x 4 raters).
  raw4 <- matrix(c(1, 1, NA, 1,  2, 2, 3, 2,  3, 3, 3, 3,  3, 3, 3, 3,  2, 2, 2, 2,
                   1, 2, 3, 4,  4, 4, 4, 4,  1, 1, 2, 1,  2, 2, 2, 2,  NA, 5, 5, 5,
                   NA, NA, 1, 1,  NA, NA, 3, NA), ncol = 4, byrow = TRUE)
  est <- function(x) as.list(x$est[, c("pa", "pe", "coeff.val", "coeff.se", "lcb", "ucb", "p.value")])
  ref$irrcac_raw4 <- list(
    conger = est(conger.kappa.raw(raw4)),
    conger_quadratic = est(conger.kappa.raw(raw4, weights = "quadratic")),
    krippen = est(krippen.alpha.raw(raw4)),
    krippen_quadratic = est(krippen.alpha.raw(raw4, weights = "quadratic")))
  ref$irrcac_diagnoses_conger <- est(conger.kappa.raw(as.matrix(diag)))
}

# --- cor.test: t and df -------------------------------------------------------------------
ref$cor_N1N2_200$pearson_t <- unname(ct$statistic)
ref$cor_N1N2_200$pearson_df <- unname(ct$parameter)
ref$cor_N1N2_200$pearson_p <- ct$p.value

# --- semTools::compRelSEM: observed-score omega of the one-factor CFA ----------------------
ref$versions$semTools <- as.character(packageVersion("semTools"))
ref$compRelSEM_N <- list(omega = unname(semTools::compRelSEM(fit)),
                         omega_model = unname(semTools::compRelSEM(fit, obs.var = FALSE)))

# --- Two-level omega on lavaan's Demo.twolevel (y1-y3, 200 clusters of 5-20) --------------
tl <- lavaan::Demo.twolevel
write.csv(tl[, c("cluster", "y1", "y2", "y3")], file.path(out_dir, "demo_twolevel.csv"),
          row.names = FALSE)
m2 <- "level: 1\n fw =~ y1 + y2 + y3\nlevel: 2\n fb =~ y1 + y2 + y3"
fit2 <- lavaan::cfa(m2, data = tl, cluster = "cluster", std.lv = TRUE)
ss <- lavaan::lavInspect(fit2, "sampstat")
est2 <- lavaan::lavInspect(fit2, "est")
blocks <- semTools::compRelSEM(fit2)
sh <- semTools::compRelSEM(fit2, shared = "fb")
m2c <- paste("level: 1\n f =~ L1*y1 + L2*y2 + L3*y3",
             "level: 2\n f =~ L1*y1 + L2*y2 + L3*y3", sep = "\n")
fit2c <- lavaan::cfa(m2c, data = tl, cluster = "cluster")
cf <- semTools::compRelSEM(fit2c, config = "f")
cfs <- semTools::compRelSEM(fit2c, config = "f", shared = "f")
ref$twolevel <- list(
  n = nrow(tl), clusters = length(unique(tl$cluster)),
  loglik = lavaan::fitMeasures(fit2, "logl")[[1]],
  h1_loglik = lavaan::fitMeasures(fit2, "unrestricted.logl")[[1]],
  sampstat_within = unclass(ss$within$cov), sampstat_between = unclass(ss$cluster$cov),
  lambda_within = as.numeric(est2$within$lambda), lambda_between = as.numeric(est2$cluster$lambda),
  theta_within = diag(est2$within$theta), theta_between = diag(est2$cluster$theta),
  omega_within_block = unname(unlist(blocks)[1]), omega_between_block = unname(unlist(blocks)[2]),
  omega_B = unname(sh$shared$fb[1]), IRR = unname(sh$shared$fb[2]),
  mean_inverse_cluster_size = mean(1 / lavaan::lavInspect(fit2, "cluster.size")),
  config_omega_W = unname(cf$config$f[1]), config_omega_2L = unname(cf$config$f[2]),
  config_omega_B = unname(cfs$shared$f[1]),
  config_loglik = lavaan::fitMeasures(fit2c, "logl")[[1]])

writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(out_dir, "r_reference.json"))
cat("written\n")
