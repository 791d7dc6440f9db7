"""Neuromorphic board profiles and fit checks (installed as ``snn_control.hardware``)."""
