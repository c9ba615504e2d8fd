"""Study reports: ratings as data frames, psychometrics on them, JSON/CSV/HTML out."""
