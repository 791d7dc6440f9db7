"""
ROS 2's own linters as tests, as ros2/demos' ``demo_nodes_py`` runs them.

``ament_flake8`` with ROS 2's configuration (99 columns; the package's ``ament_flake8.ini``)
and ``ament_pep257`` with the ament convention, over every Python file of the package.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [str(ROOT / p) for p in ("snn_control", "sim", "hardware", "launch", "test", "setup.py")]


def test_flake8():
    from ament_flake8.main import main_with_errors

    rc, errors = main_with_errors(argv=SOURCES)
    listed = "\n".join(errors[:50])
    assert rc == 0, f"ament_flake8 found {len(errors)} code style error(s):\n{listed}"


def test_pep257():
    from ament_pep257.main import main

    assert main(argv=SOURCES) == 0, "ament_pep257 found docstring errors (see the output above)"
