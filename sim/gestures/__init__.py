"""Generated event-camera gestures (DVS128 Gesture-like classes) from a MuJoCo upper body."""

from snn_control.sim.gestures.dataset import (
    DEFAULT_CACHE_DIR,
    DURATION_S,
    GESTURES,
    SENSOR_SIZE,
    SampleParams,
    cache_path,
    generate_dataset,
    generate_sample,
    iter_frames,
    load_dataset,
    load_or_generate,
    sample_params,
    sample_seed,
    save_dataset,
)

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DURATION_S",
    "GESTURES",
    "SENSOR_SIZE",
    "SampleParams",
    "cache_path",
    "generate_dataset",
    "generate_sample",
    "iter_frames",
    "load_dataset",
    "load_or_generate",
    "sample_params",
    "sample_seed",
    "save_dataset",
]
