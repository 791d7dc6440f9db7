"""The sum-of-absolute-differences baseline on patch-normalised, downsampled images."""
from __future__ import annotations

import numpy as np


def resize(images: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area-average downsampling with PIL (box filter), uint8 -> float32."""
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(img).resize((width, height), Image.BOX), dtype=np.float32)
                     for img in images])


def patch_normalise(images: np.ndarray, patch: int) -> np.ndarray:
    """Each non-overlapping ``patch`` x ``patch`` block to zero mean and unit variance (flat
    blocks to zero): removes the local brightness and contrast that seasons change."""
    n, h, w = images.shape
    if h % patch or w % patch:
        raise ValueError(f"image size {w}x{h} is not a multiple of the patch size {patch}")
    blocks = images.reshape(n, h // patch, patch, w // patch, patch).astype(np.float32)
    mean = blocks.mean(axis=(2, 4), keepdims=True)
    std = blocks.std(axis=(2, 4), keepdims=True)
    out = np.where(std > 1e-6, (blocks - mean) / np.where(std > 1e-6, std, 1.0), 0.0)
    return out.reshape(n, h, w)


def sad_distances(reference: np.ndarray, query: np.ndarray, width: int = 32, height: int = 16,
                  patch: int = 8) -> np.ndarray:
    """(Q, R) mean absolute difference of the normalised images."""
    ref = patch_normalise(resize(reference, width, height), patch).reshape(len(reference), -1)
    qry = patch_normalise(resize(query, width, height), patch).reshape(len(query), -1)
    import torch

    with torch.no_grad():  # L1 distances without a Q x R x pixels intermediate
        d = torch.cdist(torch.from_numpy(qry)[None], torch.from_numpy(ref)[None], p=1.0)[0]
    return (d / ref.shape[1]).numpy()
