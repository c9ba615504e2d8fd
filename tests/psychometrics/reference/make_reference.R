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

writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(out_dir, "r_reference.json"))
cat("written\n")
