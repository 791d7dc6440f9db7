# Copyright 2026 snn_control maintainers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Generated event-camera gestures (DVS128 Gesture-like classes) from a MuJoCo upper body."""

from snn_control.sim.gestures.dataset import (
    cache_path,
    DEFAULT_CACHE_DIR,
    DURATION_S,
    generate_dataset,
    generate_sample,
    GESTURES,
    iter_frames,
    load_dataset,
    load_or_generate,
    sample_params,
    sample_seed,
    SampleParams,
    save_dataset,
    SENSOR_SIZE,
)

__all__ = [
    'DEFAULT_CACHE_DIR',
    'DURATION_S',
    'GESTURES',
    'SENSOR_SIZE',
    'SampleParams',
    'cache_path',
    'generate_dataset',
    'generate_sample',
    'iter_frames',
    'load_dataset',
    'load_or_generate',
    'sample_params',
    'sample_seed',
    'save_dataset',
]
