"""Scale development: from an LLM-rated item pool to a validated short scale (issue 9)."""
