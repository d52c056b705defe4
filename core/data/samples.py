"""scikit-learn's bundled data sets, shaped as workbench datasets (no download needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SAMPLES = {
    "breast_cancer": "Breast cancer Wisconsin: 569 tumours, 30 numeric features, binary target",
    "wine": "Wine: 178 wines, 13 numeric features, 3 cultivars",
    "digits": "Digits: 1,797 handwritten 8x8 images (pixels and an image column), 10 classes",
}


def load_sample(name: str) -> pd.DataFrame:
    """A bundled data set as a DataFrame with a ``target`` column.

    Digits keep their 64 pixel columns for training and also carry each picture as an
    ``image`` list of 64 grey levels (0-255) with its ``width`` and ``height``, which the
    image input checks read.

    Examples
    --------
    >>> load_sample("wine").shape
    (178, 15)
    >>> d = load_sample("digits"); (len(d), len(d["image"][0]), int(d["width"][0]))
    (1797, 64, 8)
    """
    from sklearn import datasets

    loaders = {
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "digits": datasets.load_digits,
    }
    if name not in loaders:
        raise ValueError(f"Unknown sample {name!r}; choose one of {', '.join(SAMPLES)}.")
    bunch = loaders[name]()
    if name == "digits":
        pixels = bunch.data.astype(int)
        frame = pd.DataFrame(pixels, columns=[f"px_{i:02d}" for i in range(64)])
        grey = np.round(pixels * 255 / 16).astype(int)
        frame["image"] = list(grey)
        frame["width"] = 8
        frame["height"] = 8
    else:
        cols = [str(c).replace(" ", "_") for c in bunch.feature_names]
        frame = pd.DataFrame(bunch.data, columns=cols)
    frame["target"] = (
        [str(bunch.target_names[t]) for t in bunch.target] if name != "digits" else bunch.target
    )
    frame.insert(0, "row_id", np.arange(1, len(frame) + 1))
    return frame
