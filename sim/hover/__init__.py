"""The smallest closed loop: a 1-DOF vertically hovering body (``HoverEnv``)."""

from snn_control.sim.hover.env import HoverEnv

__all__ = ["HoverEnv"]
