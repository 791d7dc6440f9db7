"""Controllers: ROS-free objects that turn one observation into one command per tick."""

from snn_control.controllers.base import Controller

__all__ = ["Controller"]
