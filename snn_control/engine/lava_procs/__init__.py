"""
The Lava process of this package's neuron populations and its process models.

They have a package of their own because Lava's compiler looks for a process's models by
executing every module in the process's directory as a standalone file (and warns about
each one that cannot run that way). Here that directory holds only these two modules,
both importable on their own, so the search finds the models without warnings and without
re-executing the rest of the engine.
"""
