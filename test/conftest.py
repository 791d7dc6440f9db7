import os
import sys

# Tests share small helpers (random_networks.py) that live beside them.
sys.path.insert(0, os.path.dirname(__file__))
# One core for numeric libraries: the tests check numbers, not speed.
os.environ.setdefault("OMP_NUM_THREADS", "1")
