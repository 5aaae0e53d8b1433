"""Calibration of CadreSim's behavioural parameters to published survey figures (issue 15)."""
