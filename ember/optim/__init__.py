"""ember.optim: optimizers and learning-rate schedulers, as ``torch.optim``.

Each optimizer's ``step`` gathers its parameters' raw arrays and state and calls a pure
in-place update from :mod:`ember.optim._functional`.
"""
from . import lr_scheduler  # noqa: F401
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "Adamax", "AdamW", "lr_scheduler", "NAdam", "Optimizer", "RMSprop", "SGD"]
