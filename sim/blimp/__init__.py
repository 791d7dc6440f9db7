"""Indoor micro-blimp altitude control: MuJoCo model, Gymnasium environment, profiles."""

from snn_control.sim.blimp.env import BlimpAltitudeEnv, BlimpConfig
from snn_control.sim.blimp.profiles import PROFILES, make_profile

__all__ = ["BlimpAltitudeEnv", "BlimpConfig", "PROFILES", "make_profile"]
