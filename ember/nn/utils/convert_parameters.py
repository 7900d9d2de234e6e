"""Flattening parameters into one vector and back: ``parameters_to_vector``, ``vector_to_parameters``."""
from ...tensor import Tensor, cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(params):
    devices = {p.device for p in params}
    if len(devices) > 1:
        raise TypeError("Found two parameters on different devices, this is currently not supported. "
                        f"(devices: {sorted(str(d) for d in devices)}; move them to one device first)")


def parameters_to_vector(parameters):
    r"""Flatten an iterable of parameters into a single vector (differentiable: a concatenation of views).

    Args:
        parameters (Iterable[Tensor]): an iterable of Tensors that are the parameters of a model.

    Returns:
        The parameters represented by a single vector
    """
    params = list(parameters)
    _check_same_device(params)
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    r"""Copy slices of a vector into an iterable of parameters.

    Each parameter's ``data`` becomes a view of the matching slice of ``vec`` (shared memory).

    Args:
        vec (Tensor): a single vector representing the parameters of a model.
        parameters (Iterable[Tensor]): an iterable of Tensors that are the parameters of a model.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    _check_same_device(params)
    pointer = 0
    for param in params:
        num = param.numel()
        param.data = vec[pointer:pointer + num].reshape(param.shape).data
        pointer += num
