"""Teacher-facing analytics: results, item and test statistics, essay marking, IRT calibration."""
