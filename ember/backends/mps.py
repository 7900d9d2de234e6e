"""``ember.backends.mps``: Apple's GPU. ember has no MPS backend, so both answers are False."""


def is_available():
    return False


def is_built():
    return False
