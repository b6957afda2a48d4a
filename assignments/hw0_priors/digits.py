"""Real images for the notebooks: scikit-learn's 8x8 handwritten digits, and a grid plot.

Student support module of hw3 and hw4 (grading_config): the build writes it next to their notebooks. The images
ship inside scikit-learn's wheel (`sklearn.datasets.load_digits`, the UCI optical-recognition test set: 1797
images of 8x8 pixels with 17 grey levels, 0..16), so nothing is downloaded.
"""
import numpy as np
import torch

__all__ = ["load_digits", "plot_digits"]


def load_digits(dtype: torch.dtype = torch.float32):
    """The 1797 digits as flat vectors scaled to ``[-1, 1]``, and their labels.

    Returns:
        x: ``(1797, 64)`` in ``dtype``, pixel value ``v`` in ``0..16`` mapped to ``v / 8 - 1``; row-major 8x8.
        y: int64 ``(1797,)``, the digit ``0..9``.
    """
    from sklearn.datasets import load_digits as _load

    data = _load()
    x = torch.from_numpy(np.asarray(data.data, dtype=np.float64) / 8.0 - 1.0).to(dtype)
    return x, torch.from_numpy(np.asarray(data.target, dtype=np.int64))


def plot_digits(x: torch.Tensor, nrow: int | None = None, ax=None, title: str | None = None):
    """Show ``x (n, 64)`` (values in ``[-1, 1]``, clipped) as a grid of 8x8 images, ``nrow`` per row; returns the axes."""
    import matplotlib.pyplot as plt

    imgs = np.asarray(x.detach().cpu().to(torch.float64).clamp(-1, 1)).reshape(-1, 8, 8)
    n = imgs.shape[0]
    nrow = nrow or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / nrow))
    grid = np.full((rows * 9 + 1, nrow * 9 + 1), -1.0)  # one-pixel dark border between images
    for i, img in enumerate(imgs):
        r, c = divmod(i, nrow)
        grid[1 + 9 * r: 9 + 9 * r, 1 + 9 * c: 9 + 9 * c] = img
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * nrow + 0.5, 0.5 * rows + 0.5))
    ax.imshow(grid, cmap="gray_r", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax
