"""``ember.backends.cudnn``: the flags scripts set. ember calls no cuDNN yet (no convolutions or RNN
kernels), so these are stored and read back and change nothing; defaults are PyTorch's."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """False: ember uses no cuDNN."""
    return False


def version():
    """None: ember uses no cuDNN."""
    return None
