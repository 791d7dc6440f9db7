"""MuJoCo models and Gymnasium environments (installed as ``snn_control.sim``)."""
