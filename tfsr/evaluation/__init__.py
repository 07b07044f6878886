"""tfsr.evaluation."""
