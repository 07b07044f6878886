"""The deployment stage: the Low-to-High generator to TFLite (installed as `tfsr.export`)."""
