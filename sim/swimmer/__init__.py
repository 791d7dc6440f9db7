"""N-link swimmer (dm_control-style body) and NCAP's swim task."""

from snn_control.sim.swimmer.env import SwimmerEnv, make_model_xml

__all__ = ["SwimmerEnv", "make_model_xml"]
