"""
snn_control: spiking neural network controllers and perception for ROS 2.

The core (``snn_control.engine``, ``snn_control.sim``, ``snn_control.controllers``) is plain
Python with no ROS dependency; ``snn_control.ros`` holds the thin ROS 2 adapters.
"""

__version__ = "0.1.0"
