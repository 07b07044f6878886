"""tfsr.training."""
