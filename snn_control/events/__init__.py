"""Event-camera data: readers for files and ROS 2 bags into one structured array."""
