# Context for bayes-loglinear (not a test reference: conting's prior differs):
# conting's RJMCMC over hierarchical log-linear models with all two-way terms
# allowed, on UK 2013 five lists, and the posterior of N.
# Usage: Rscript tests/estimation/reference/conting_bict_ukdat5.R <UKdat_5.csv> [n.sample] [seed]
suppressPackageStartupMessages(library(conting))
args <- commandArgs(trailingOnly = TRUE)
n_sample <- if (length(args) > 1) as.integer(args[2]) else 10000L
seed <- if (length(args) > 2) as.integer(args[3]) else 1L
tab <- read.csv(args[1])
lists <- setdiff(names(tab), "count")
# bict wants every cell; the unobserved one (all lists 0) is missing, y = NA, as in
# conting's own capture-recapture example (data(spina)).
grid <- expand.grid(rep(list(0:1), length(lists)))
names(grid) <- lists
full <- merge(grid, tab, all.x = TRUE)
full$count[is.na(full$count)] <- 0
for (j in lists) full[[j]] <- factor(full[[j]], levels = c(0, 1))
names(full)[names(full) == "count"] <- "y"
unseen <- Reduce(`&`, lapply(lists, function(j) full[[j]] == "0"))
full$y[unseen] <- NA
form <- as.formula(paste("y ~ (", paste(lists, collapse = " + "), ")^2"))
set.seed(seed)
t0 <- proc.time()
fit <- bict(formula = form, data = full, n.sample = n_sample, prior = "SBH")
elapsed <- (proc.time() - t0)[["elapsed"]]
burn <- n_sample %/% 10
tp <- total_pop(fit, n.burnin = burn)
cat(sprintf("conting %s bict(%s, n.sample = %d, prior = \"SBH\"), unobserved cell y = NA, set.seed(%d)\n",
            packageVersion("conting"), deparse(form), n_sample, seed))
cat(sprintf("elapsed %.1f s; total_pop(n.burnin = %d): ", elapsed, burn))
print(tp$int)
cat(sprintf("posterior median of N: %.0f, mean %.0f\n", median(tp$TOT), mean(tp$TOT)))
