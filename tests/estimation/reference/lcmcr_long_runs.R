# Long runs of R's LCMCR (Manrique-Vallier 2016) on darkfigure's reference capture
# tables: the reference figures for tests/estimation/test_lcmcr_vs_r.py.
#
# Usage (from the repository root, LCMCR and coda installed):
#   Rscript tests/estimation/reference/lcmcr_long_runs.R <tables_dir> <out.csv> [table ...]
#   LCMCR_SAMPLES=20000 LCMCR_SEEDS=1:4 Rscript ... UKdat_5   (longer runs, chosen seeds)
#   LCMCR_TRACE_DIR=<dir> also writes each run's draws of N, one a line.
# <tables_dir> holds capture-table CSVs (one 0/1 column per list, then `count`),
# e.g. ../shared/reference/capture-tables.  Results are appended to <out.csv>,
# one row per (table, seed).
#
# Settings: K = 10, a_alpha = b_alpha = 0.25 (the priors estimation/bayes/lcmcr.py
# states it matches), burn-in 10,000 Gibbs iterations, then 5,000 draws of N kept
# every 100 iterations (500,000 iterations; LCMCR_SAMPLES changes the 5,000).

suppressPackageStartupMessages({
  library(LCMCR)
  library(coda)
})

args <- commandArgs(trailingOnly = TRUE)
tables_dir <- args[1]
out_csv <- args[2]
tables <- if (length(args) > 2) args[-(1:2)] else c("kosovo", "UKdat_5", "Western", "UKdat")

K <- 10
BURNIN <- 10000
SAMPLES <- as.integer(Sys.getenv("LCMCR_SAMPLES", "5000"))
THINNING <- 100
SEEDS <- list(kosovo = 1:4, UKdat_5 = 1:4, Western = 1:4, UKdat = 1:8)

# LCMCR wants one row per observed person, lists as factors with levels "0", "1";
# our tables are capture tables (pattern + count), so each pattern row is repeated
# `count` times.
expand_table <- function(path) {
  tab <- read.csv(path, check.names = FALSE)
  lists <- setdiff(names(tab), "count")
  rows <- rep(seq_len(nrow(tab)), tab$count)
  people <- tab[rows, lists, drop = FALSE]
  for (j in lists) people[[j]] <- factor(people[[j]], levels = c(0, 1), labels = c("0", "1"))
  rownames(people) <- NULL
  people
}

seeds_override <- Sys.getenv("LCMCR_SEEDS", "")

for (name in tables) {
  people <- expand_table(file.path(tables_dir, paste0(name, ".csv")))
  seeds <- if (nzchar(seeds_override)) eval(parse(text = seeds_override)) else SEEDS[[name]]
  for (seed in seeds) {
    t0 <- proc.time()
    sampler <- lcmCR(captures = people, tabular = FALSE, in_list_label = "1",
                     not_in_list_label = "0", K = K, a_alpha = 0.25, b_alpha = 0.25,
                     buffer_size = 10000, thinning = THINNING, seed = seed,
                     verbose = FALSE)
    N <- lcmCR_PostSampl(sampler, burnin = BURNIN, samples = SAMPLES,
                         thinning = THINNING, output = FALSE)
    elapsed <- (proc.time() - t0)[["elapsed"]]
    trace_dir <- Sys.getenv("LCMCR_TRACE_DIR", "")
    if (nzchar(trace_dir)) {
      writeLines(format(N, scientific = FALSE),
                 file.path(trace_dir, sprintf("%s_seed%d_N.txt", name, seed)))
    }
    q <- quantile(N, c(0.025, 0.5, 0.975), names = FALSE)
    row <- data.frame(table = name, seed = seed, n_obs = nrow(people), draws = length(N),
                      median = q[2], lower = q[1], upper = q[3], mean = mean(N),
                      ess = unname(effectiveSize(mcmc(N))), wall_s = elapsed)
    write.table(row, out_csv, sep = ",", row.names = FALSE,
                col.names = !file.exists(out_csv), append = file.exists(out_csv))
    cat(sprintf("%s seed %d: median %.0f [%.0f, %.0f] ESS %.0f, %.1f s\n",
                name, seed, q[2], q[1], q[3], row$ess, elapsed))
  }
}
