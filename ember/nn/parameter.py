"""``Parameter``: a tensor that a Module registers as one of its learnable parameters."""
from ..tensor import Tensor, empty

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    r"""A kind of Tensor that is to be considered a module parameter.

    Assigning a Parameter as a Module attribute adds it to the module's
    :meth:`~ember.nn.Module.parameters`. The Parameter shares memory (and the
    version counter) with ``data``; it is always a leaf.

    Args:
        data (Tensor): parameter tensor. Default: an empty float tensor.
        requires_grad (bool, optional): if the parameter requires gradient. Default: ``True``
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        elif not isinstance(data, Tensor):
            raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__}; "
                            "wrap arrays with ember.tensor(...) first")
        self = object.__new__(cls)
        self._data = data._data
        self._ver = data._ver  # same memory, same version counter, as detach() gives
        self._device = data._device
        self.grad_fn = None
        self.requires_grad = False
        if requires_grad:
            if not data.dtype.is_floating_point:
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients "
                                   f"(got {data.dtype}); pass requires_grad=False for an integer Parameter")
            self.requires_grad = True
        return self

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        copy = Tensor.__deepcopy__(self, memo)  # a plain leaf with copied data (and grad)
        result = Parameter(copy, self.requires_grad)
        if copy.grad is not None:
            result.grad = copy.grad
        # attributes users set on the parameter travel too; ember's own bookkeeping (_accum, ...) does not
        extra = {k: v for k, v in self.__dict__.items() if k != "grad" and not k.startswith("_")}
        if extra:
            import copy as _copy
            for k, v in extra.items():
                setattr(result, k, _copy.deepcopy(v, memo))
        memo[id(self)] = result
        return result


class _BufferMeta(type):
    # ``isinstance(t, Buffer)`` is true for the tensors Buffer(...) marked, as in PyTorch.
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    r"""A Tensor that should be registered as a module buffer when assigned as a Module attribute.

    ``Buffer(t)`` returns a plain Tensor (sharing ``t``'s memory) marked as a buffer.

    Args:
        data (Tensor): buffer tensor.
        persistent (bool, optional): whether the buffer is part of the module's
            :meth:`~ember.nn.Module.state_dict`. Default: ``True``
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
