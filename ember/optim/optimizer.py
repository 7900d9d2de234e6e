"""The Optimizer base class: parameter groups, per-parameter state, state_dict, zero_grad.

Bookkeeping lives here and in each optimizer's ``_update_group`` (which gathers one
group's arrays and numbers); the math lives in :mod:`ember.optim._functional` as pure
in-place updates on raw arrays. ``step`` never builds graph nodes or ember Tensors
(except the state tensors made once, on a parameter's first step).
"""
import warnings
from collections import defaultdict
from copy import deepcopy

import numpy as np

from .. import dtypes as _dt
from ..autograd.grad_mode import enable_grad
from ..backend import xp_of
from ..tensor import Tensor, _wrap

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton marking a hyper-parameter a group must set (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    if isinstance(obj, Tensor):
        return "ember." + {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                           "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                           "bool": "Bool"}.get(obj.dtype.name, "") + "Tensor"
    return type(obj).__name__


def _scalar_dtype():
    """The dtype of scalar state such as ``step``: float64 if that is the default, else float32."""
    return np.float64 if _dt.get_default_dtype() is _dt.float64 else np.float32


def _scalar_tensor(value):
    """A 0-d CPU tensor in the scalar dtype (``step``, NAdam's ``mu_product``), as PyTorch keeps them."""
    return _wrap(np.array(value, dtype=_scalar_dtype()))


def _empty_like(p):
    data = p._data
    return _wrap(xp_of(data).empty(data.shape, dtype=data.dtype))


def _zeros_like(p, fill=0):
    """A state tensor of ``p``'s shape, dtype and device."""
    data = p._data
    return _wrap(xp_of(data).full(data.shape, fill, dtype=data.dtype))


class Optimizer:
    r"""Base class for all optimizers.

    Args:
        params (iterable): an iterable of :class:`ember.Tensor` s, of ``(name, tensor)``
            pairs, or of dicts. Dicts are parameter groups: ``{'params': [...], 'lr': ...}``;
            options a group leaves out are taken from ``defaults``.
        defaults (dict): default values of the optimization options.

    Attributes:
        param_groups (list of dict): the groups, each with ``'params'`` and its options.
        state (dict): per-parameter state, keyed by the parameter tensor.
        defaults (dict): the default options.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        self._scratch = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)}")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(dict(group))

    # --- pickling / copying: the scratch pool is a cache, not state ------------------------------
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._scratch = {}

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += "\n"
            text += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        text += ")"
        return text

    # --- groups ----------------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``'params'`` and optional per-group options).

        Useful when fine-tuning: unfreeze layers and hand them to the optimizer as training goes.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        # (name, tensor) pairs: keep the names beside the tensors, as PyTorch's 'param_names'
        items = param_group["params"]
        names = []
        tensors = []
        for item in items:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                names.append(item[0])
                tensors.append(item[1])
            else:
                tensors.append(item)
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        param_group["params"] = tensors

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{_typename(param)}")
            if not self.defaults.get("differentiable", None) and not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        if len(tensors) != len({id(p) for p in tensors}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)

        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in group) != ("param_names" in param_group):
                raise ValueError("all optimizer param groups should be with/without names.")
        if not seen.isdisjoint(id(p) for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- gradients -------------------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none (bool): instead of filling with zeros, set ``.grad`` to None (the default;
                saves memory, and a step then skips parameters that got no gradient).
        """
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad.requires_grad_(False)
                    grad.zero_()

    # --- stepping --------------------------------------------------------------------------------
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss; it is run
                with gradients enabled, before the update.

        Returns:
            the closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} must implement step() or _update_group()")

    def _params_with_grad(self, group, new_state=None):
        """``(param, grad, state)`` for each parameter of ``group`` that has a gradient.

        A parameter seen for the first time gets ``new_state(param)`` (a dict) as its state; without
        ``new_state`` the state is not touched (None is yielded), so none is created. Once the caller's
        loop body has updated it, the parameter's version counter is advanced: the update changed it
        in place, as PyTorch's in-place update does.
        """
        state = self.state
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            st = None
            if new_state is not None:
                st = state[p]
                if not st:
                    st.update(new_state(p))
            yield p, grad, st
            p._ver[0] += 1  # runs when the loop asks for the next parameter, after the update

    # --- saving / loading ------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as a dict, in PyTorch's layout.

        ``'state'`` maps each parameter's index (counting through all groups in order) to its
        state dict; ``'param_groups'`` lists the groups with ``'params'`` replaced by those
        indices. Tensors are referenced, not copied: copy or save the dict to keep a snapshot.
        """
        index = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = list(range(start, start + len(group["params"])))
            index.update((id(p), i) for p, i in zip(group["params"], ids))
            packed["params"] = ids
            start += len(ids)
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            key = index[id(p)] if isinstance(p, Tensor) else p
            state[key] = dict(s)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state returned by :meth:`state_dict`.

        The number of groups and of parameters per group must match. State tensors are cast to
        their parameter's dtype (floating parameters) and device, except ``step``.
        """
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(sg["params"]) for g, sg in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = {}
        for g, sg in zip(groups, saved_groups):
            id_map.update(zip(sg["params"], g["params"]))

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {key: _cast(param, value, key) for key, value in v.items()}
            else:
                state[k] = v

        new_groups = []
        for g, sg in zip(groups, saved_groups):
            sg["params"] = g["params"]
            if "param_names" in g and "param_names" not in sg:
                sg["param_names"] = g["param_names"]
            for name, default in self.defaults.items():
                sg.setdefault(name, default)
            new_groups.append(sg)
        self.state = state
        self.param_groups = new_groups


def _cast(param, value, key):
    """A loaded state value on ``param``'s device, in its dtype if floating (``step`` keeps its own)."""
    if isinstance(value, Tensor):
        if key == "step":
            return value
        if param.dtype.is_floating_point:
            return value.to(device=param.device, dtype=param.dtype)
        return value.to(device=param.device)
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    return value


def _check(ok, message):
    if not ok:
        raise ValueError(message)


def _check_betas(betas):
    _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")


def _step_count(state):
    """Advance a parameter's ``step`` tensor in place; return the new count as a Python float."""
    step = state["step"]
    if not isinstance(step, Tensor):  # a state_dict written with a plain number
        step = state["step"] = _scalar_tensor(step)
    data = step._data
    data += 1
    return float(data)

