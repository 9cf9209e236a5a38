"""Errors of the detector layer, each a one-line message naming the input and the rule."""


class DatasetError(ValueError):
    """A dataset cannot be used for detection (missing columns, no positive labels, ...)."""


class NotFittedError(RuntimeError):
    """A detector was asked to score before `fit` (or `load`)."""
