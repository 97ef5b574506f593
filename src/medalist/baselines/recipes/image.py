"""Pixel features for image tasks given as one column per pixel: scaling, deskewing, gradient histograms.

Deskewing (shear each digit upright by its second-order image moments) and histograms of oriented
gradients are the classic feature engineering for handwritten digits; both are unsupervised.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def as_images(pixels: np.ndarray) -> np.ndarray:
    """``(n, side*side)`` pixel rows as ``(n, side, side)`` images scaled to [0, 1]."""
    n, d = pixels.shape
    side = int(round(np.sqrt(d)))
    if side * side != d:
        raise ValueError(f"{d} pixel columns do not form a square image")
    top = float(np.nanmax(pixels)) or 1.0
    return np.nan_to_num(pixels.astype(np.float64) / top).reshape(n, side, side)


def deskew(images: np.ndarray) -> np.ndarray:
    """Shear every image so its principal axis is vertical (centred on its centre of mass)."""
    out = np.empty_like(images)
    side = images.shape[1]
    rows, cols = np.mgrid[:side, :side]
    centre = np.array([(side - 1) / 2.0, (side - 1) / 2.0])
    for i, img in enumerate(images):
        total = img.sum()
        if total <= 0:
            out[i] = img
            continue
        mr, mc = (rows * img).sum() / total, (cols * img).sum() / total
        var_r = (((rows - mr) ** 2) * img).sum() / total
        cov = (((rows - mr) * (cols - mc)) * img).sum() / total
        alpha = cov / var_r if var_r > 1e-9 else 0.0
        affine = np.array([[1.0, 0.0], [alpha, 1.0]])
        offset = np.array([mr, mc]) - affine @ centre
        out[i] = ndimage.affine_transform(img, affine, offset=offset, order=1, mode="constant", cval=0.0)
    return out


def gradient_histograms(images: np.ndarray, cell: int, bins: int = 9) -> np.ndarray:
    """Histograms of oriented gradients per ``cell x cell`` block, L2-normalised per cell."""
    n, side, _ = images.shape
    gy, gx = np.gradient(images, axis=(1, 2))
    mag = np.hypot(gx, gy)
    ang = np.mod(np.arctan2(gy, gx), np.pi)
    b = np.minimum((ang / np.pi * bins).astype(int), bins - 1)
    cells = side // cell
    usable = cells * cell
    mag, b = mag[:, :usable, :usable], b[:, :usable, :usable]
    cell_id = (np.arange(usable) // cell)[:, None] * cells + (np.arange(usable) // cell)[None, :]
    key = (np.arange(n)[:, None, None] * (cells * cells) + cell_id[None]) * bins + b
    hist = np.bincount(key.ravel(), weights=mag.ravel(), minlength=n * cells * cells * bins)
    hist = hist.reshape(n, cells * cells, bins)
    unit = hist / (np.sqrt((hist**2).sum(axis=2, keepdims=True)) + 1e-6)
    return unit.reshape(n, -1)


def shift_augment(rows: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Training rows plus copies shifted one pixel up, down, left and right (labels repeated).

    The classic augmentation for digit classifiers: it teaches kernel and neighbour models that a
    small translation does not change the class.
    """
    n, d = rows.shape
    side = int(round(np.sqrt(d)))
    imgs = rows.reshape(n, side, side)
    out = [rows]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        shifted = np.roll(imgs, step, axis=axis)
        edge: list[slice | int] = [slice(None)] * 3
        edge[axis] = 0 if step == 1 else -1
        shifted[tuple(edge)] = 0.0
        out.append(shifted.reshape(n, d))
    return np.vstack(out), np.tile(y, 5)
