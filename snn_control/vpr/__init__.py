"""Visual place recognition: image folders, preprocessing, baselines and metrics."""
