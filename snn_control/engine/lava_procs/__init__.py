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

"""
The Lava process of this package's neuron populations and its process models.

They have a package of their own because Lava's compiler looks for a process's models by
executing every module in the process's directory as a standalone file (and warns about
each one that cannot run that way). Here that directory holds only these two modules,
both importable on their own, so the search finds the models without warnings and without
re-executing the rest of the engine.
"""
