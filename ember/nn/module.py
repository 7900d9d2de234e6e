"""``Module``: the base class of every layer and model.

A module keeps its learnable tensors in ``_parameters``, its other state in
``_buffers`` and its sub-layers in ``_modules``; ``__setattr__`` routes
assignments there, so ``self.fc = Linear(...)`` registers a child. Walks over
the module tree (``named_modules``, ``state_dict``, ``train``, ``to``) use an
explicit stack, so a very deep tree does not hit Python's recursion limit.
"""
import itertools
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from ..autograd.grad_mode import no_grad
from ..backend import to_host, xp_of
from ..dtypes import dtype as _dtype_cls, to_dtype
from ..device import device as _device_cls, to_device
from ..tensor import Tensor
from .parameter import Buffer, Parameter

__all__ = ["Module", "RemovableHandle"]


def _typename(obj):
    """The name PyTorch's error messages give an object: 'torch.FloatTensor' for tensors, else its type."""
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    module = getattr(t, "__module__", "") or ""
    return t.__qualname__ if module in ("", "builtins") else f"{module}.{t.__qualname__}"


def _addindent(s, n):
    """Indent every line but the first of ``s`` by ``n`` spaces (children in a module repr)."""
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    pad = " " * n
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` found missing or unexpected: ``(missing_keys, unexpected_keys)``."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """A handle returned by ``register_*_hook``; ``handle.remove()`` unregisters the hook.

    Usable as a context manager: the hook is removed on exit.
    """

    _next_id = itertools.count()

    def __init__(self, owner, *dicts):
        self.id = next(RemovableHandle._next_id)
        self._owner = owner
        self._dicts = dicts

    def remove(self):
        for d in self._dicts:
            d.pop(self.id, None)
        owner = self._owner
        if owner is not None:
            owner._update_hooked()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Module:
    r"""Base class for all neural network modules.

    Models subclass it and assign layers, parameters and buffers as attributes
    in ``__init__`` (after calling ``super().__init__()``); ``forward`` defines
    the computation, and calling the module runs it (with any registered hooks)::

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(20, 20)
                self.fc2 = nn.Linear(20, 2)

            def forward(self, x):
                return self.fc2(F.relu(self.fc1(x)))

    Attributes:
        training (bool): whether this module is in training or evaluation mode.
    """

    _version = 1  # kept in state_dict metadata, for modules whose saved layout changes

    def __init__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"Module.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"Module.__init__() takes 1 positional argument but {len(args) + 1} were given")
        # object.__setattr__: our own __setattr__ needs these dicts to exist first
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}
        d["_hooked"] = False

    # --- calling ------------------------------------------------------------------------------
    def forward(self, *input):
        """Defines the computation performed at every call. Every subclass must override it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        # The hot path: one attribute test, then forward. Hooks take the slow path.
        if self._hooked:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    _call_impl = __call__

    def _call_with_hooks(self, args, kwargs):
        for hid, hook in list(self._forward_pre_hooks.items()):
            if hid in self._forward_pre_hooks_with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {res}.")
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        called = set()
        try:
            result = self.forward(*args, **kwargs)
            for hid, hook in list(self._forward_hooks.items()):
                called.add(hid)
                if hid in self._forward_hooks_with_kwargs:
                    res = hook(self, args, kwargs, result)
                else:
                    res = hook(self, args, result)
                if res is not None:
                    result = res
        except BaseException:
            # always_call hooks run even when forward (or an earlier hook) raised
            for hid, hook in list(self._forward_hooks.items()):
                if hid in self._forward_hooks_always_called and hid not in called:
                    try:
                        if hid in self._forward_hooks_with_kwargs:
                            hook(self, args, kwargs, None)
                        else:
                            hook(self, args, None)
                    except Exception as e:
                        warnings.warn(f"forward hook with always_call=True raised an exception that was "
                                      f"ignored: {e!r}")
            raise
        return result

    def _update_hooked(self):
        self.__dict__["_hooked"] = bool(self._forward_pre_hooks or self._forward_hooks)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        r"""Register a hook run before :meth:`forward`: ``hook(module, args) -> None or new args``.

        With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs) -> None or (args, kwargs)``.
        ``prepend=True`` runs it before the hooks already registered.
        Returns a handle whose ``remove()`` unregisters the hook.
        """
        handle = RemovableHandle(self, self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        self._update_hooked()
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        r"""Register a hook run after :meth:`forward`: ``hook(module, args, output) -> None or new output``.

        With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs, output)``. ``always_call=True``
        runs it even if forward raised. ``prepend=True`` runs it before the hooks already registered.
        Returns a handle whose ``remove()`` unregisters the hook.
        """
        handle = RemovableHandle(self, self._forward_hooks, self._forward_hooks_with_kwargs,
                                 self._forward_hooks_always_called)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        self._update_hooked()
        return handle

    # --- registration --------------------------------------------------------------------------
    def register_buffer(self, name, tensor, persistent=True):
        r"""Add a buffer: state that is not a parameter (BatchNorm's ``running_mean``).

        Args:
            name (str): name of the buffer; it is accessible as an attribute.
            tensor (Tensor or None): the buffer. ``None`` registers a name that holds no tensor
                (left out of ``state_dict``).
            persistent (bool): whether the buffer is part of this module's :attr:`state_dict`.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        r"""Add a parameter to the module; it is accessible as an attribute ``name``.

        Args:
            name (str): name of the parameter.
            param (Parameter or None): the parameter. ``None`` registers the name with no tensor
                (left out of ``parameters()`` and ``state_dict``).
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             f"created explicitly. To express '{name}' as a function of another Tensor, compute "
                             "the value in the forward() method.")
        self._parameters[name] = param

    def add_module(self, name, module):
        r"""Add a child module, accessible as the attribute ``name``.

        Args:
            name (str): name of the child module.
            module (Module or None): child module to be added.
        """
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias for :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target):
        """The submodule at the dotted path ``target`` ("" is this module); AttributeError if absent."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def get_parameter(self, target):
        """The parameter at the dotted path ``target``; AttributeError if absent or not a Parameter."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at the dotted path ``target``; AttributeError if absent or not a buffer."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        if name not in mod._buffers:
            raise AttributeError("`" + name + "` is not a buffer")
        return getattr(mod, name)

    # --- attribute routing --------------------------------------------------------------------
    def __getattr__(self, name):
        # Only reached when normal lookup fails: parameters, buffers and children live in their dicts.
        d = self.__dict__
        if "_parameters" in d:
            p = d["_parameters"]
            if name in p:
                return p[name]
            b = d["_buffers"]
            if name in b:
                return b[name]
            m = d["_modules"]
            if name in m:
                return m[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, "_parameters")
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, "_modules")
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = value
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            if isinstance(value, Buffer):
                persistent = value.persistent
                self._forget(name, "_buffers")
            else:
                persistent = name not in self._non_persistent_buffers_set
            self.register_buffer(name, value, persistent)
            return
        if value.__class__ in (list, tuple) and value and any(isinstance(v, Module) for v in value):
            warnings.warn(f"{type(self).__name__}.{name}: a {type(value).__name__} of Modules is not registered: "
                          "their parameters will be missing from parameters(), state_dict() and .to(). "
                          "Use nn.ModuleList (or nn.Sequential) to register them.", UserWarning, stacklevel=2)
        object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        """Drop ``name`` from the places an attribute can live other than ``keep``, before it is registered
        there (an entry already in ``keep`` stays where it is, so re-assigning keeps the order)."""
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep:
                d[key].pop(name, None)
        if keep != "_buffers":
            d["_non_persistent_buffers_set"].discard(name)

    def __delattr__(self, name):
        d = self.__dict__
        if name in d.get("_parameters", ()):
            del d["_parameters"][name]
        elif name in d.get("_buffers", ()):
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d.get("_modules", ()):
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(dir(self.__class__)) + list(self.__dict__) + list(self._parameters) + list(self._modules) \
            + list(self._buffers)
        # ModuleList's "0", "1", ... are not valid attribute names
        return sorted({k for k in keys if not k[0].isdigit()})

    # --- walking the tree ----------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        r"""Iterate over all modules in the tree (this one first, depth-first), yielding ``(name, module)``.

        A module reachable by several paths is yielded once unless ``remove_duplicate=False``.
        """
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if remove_duplicate:
                if id(mod) in memo:
                    continue
                memo.add(id(mod))
            yield name, mod
            children = [(name + ("." if name else "") + k, m) for k, m in mod._modules.items() if m is not None]
            children.reverse()
            stack.extend(children)

    def modules(self):
        """Iterate over all modules in the tree (this one first), each once."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Iterate over immediate children as ``(name, module)``, each module once."""
        memo = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in memo:
                memo.add(id(m))
                yield name, m

    def children(self):
        """Iterate over immediate child modules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, dict_name, prefix, recurse, remove_duplicate):
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        memo = set()
        for mod_prefix, mod in mods:
            for k, v in mod.__dict__[dict_name].items():
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield mod_prefix + ("." if mod_prefix else "") + k, v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        r"""Iterate over parameters as ``(dotted name, Parameter)``.

        Args:
            prefix (str): prepended to all names.
            recurse (bool): include parameters of all submodules (else only direct ones).
            remove_duplicate (bool): yield a shared parameter once.
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        r"""Iterate over the module's parameters (typically passed to an optimizer)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        r"""Iterate over buffers as ``(dotted name, Tensor)``; arguments as in :meth:`named_parameters`."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        r"""Iterate over the module's buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # --- modes ------------------------------------------------------------------------------------
    def train(self, mode=True):
        r"""Set the module and its descendants in training (``mode=True``) or evaluation mode; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        stack = [self]
        seen = set()
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            if m is not self and type(m).train is not Module.train:
                m.train(mode)  # a subclass with its own train(): let it handle its subtree
                continue
            m.training = mode
            stack.extend(c for c in m._modules.values() if c is not None)
        return self

    def eval(self):
        r"""Set the module in evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        r"""Set ``requires_grad`` of every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        r"""Reset the gradients of all parameters: to ``None`` (default) or to zeros."""
        for p in self.parameters():
            g = p.grad
            if g is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g._data[...] = 0
                g._ver[0] += 1

    def apply(self, fn):
        r"""Call ``fn`` on every submodule (children first) and then on self; returns self.

        Typical use: initialising the parameters of a model (see :mod:`ember.nn.init`).
        """
        # iterative post-order: each child subtree before its parent, children in order
        order = []
        stack = [self]
        while stack:
            m = stack.pop()
            order.append(m)
            stack.extend(m.children())  # children() skips a child listed twice under one parent, as torch
        # order is a pre-order with children visited last-first; reversed it is a post-order, first-first
        for m in reversed(order):
            fn(m)
        return self

    # --- conversion -------------------------------------------------------------------------------
    def _apply(self, fn):
        """Apply ``fn`` to every parameter (in place, keeping the Parameter object), gradient and buffer."""
        with no_grad():
            for m in self.modules():
                for p in m._parameters.values():
                    if p is None:
                        continue
                    new = fn(p)
                    if new is not p:
                        p.data = new  # identity kept: optimizers holding p still see it
                    g = p.grad
                    if g is not None:
                        new_g = fn(g)
                        if new_g is not g:
                            g.data = new_g
                bufs = m._buffers
                for k, b in bufs.items():
                    if b is not None:
                        bufs[k] = fn(b)
        return self

    def to(self, *args, **kwargs):
        r"""Move and/or cast the parameters and buffers, in place; returns self.

        ``to(device=None, dtype=None, non_blocking=False)``, ``to(dtype)``, ``to(tensor)``.
        A dtype casts only floating point parameters and buffers (integer buffers keep their type).
        """
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() received an invalid combination of arguments: unexpected keyword(s) "
                            f"{sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, _dtype_cls):
                dtype = a
            elif isinstance(a, bool):
                pass  # non_blocking, positionally
            elif isinstance(a, (str, _device_cls, int)):
                device = a
            elif a is not None:
                raise TypeError(f"to() received an invalid combination of arguments - got ({_typename(a)})")
        if device is not None:
            device = to_device(device)
        if dtype is not None:
            dtype = to_dtype(dtype)
            if not dtype.is_floating_point:
                raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but got desired "
                                f"dtype={dtype}")

        def convert(t):
            if dtype is not None and t.is_floating_point():
                return t.to(device, dtype)
            return t.to(device) if device is not None else t

        return self._apply(convert)

    def cuda(self, device=None):
        r"""Move all parameters and buffers to a CUDA device (``device``: index or None); returns self."""
        return self._apply(lambda t: t.cuda(device))

    def cpu(self):
        r"""Move all parameters and buffers to the CPU; returns self."""
        return self._apply(lambda t: t.cpu())

    def type(self, dst_type):
        r"""Cast all parameters and buffers (floating or not) to ``dst_type``; returns self."""
        return self._apply(lambda t: t.type(dst_type))

    def float(self):
        r"""Cast floating point parameters and buffers to float32; returns self."""
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        r"""Cast floating point parameters and buffers to float64; returns self."""
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        r"""Cast floating point parameters and buffers to float16; returns self."""
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    # --- state dict -------------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """Put this module's own parameters and persistent buffers (not its children's) in ``destination``."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        skip = self._non_persistent_buffers_set
        for name, b in self._buffers.items():
            if b is not None and name not in skip:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        r"""A dictionary with the whole state of the module: parameters and persistent buffers.

        Keys are dotted names (``"0.weight"``); values are detached tensors sharing memory with the
        module's (``keep_vars=True`` gives the Parameters themselves).
        """
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        metadata = getattr(destination, "_metadata", None)
        for mod_prefix, mod in self.named_modules(prefix=prefix[:-1] if prefix.endswith(".") else prefix,
                                                 remove_duplicate=False):
            if metadata is not None:
                metadata[mod_prefix] = {"version": mod._version}
            mod._save_to_state_dict(destination, mod_prefix + "." if mod_prefix else "", keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Copy this module's own parameters and persistent buffers from ``state_dict`` (keys with ``prefix``).

        Appends to ``missing_keys``, ``unexpected_keys`` and ``error_msgs`` instead of raising.
        Subclasses whose saved layout changed override this (and read ``local_metadata["version"]``).
        """
        skip = self._non_persistent_buffers_set
        local = [(k, v, True) for k, v in self._parameters.items() if v is not None] + \
            [(k, v, False) for k, v in self._buffers.items() if v is not None and k not in skip]
        assign = self.__dict__.get("_load_assign", False)
        for name, param, is_param in local:
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            try:
                src = _as_array(value, param)
            except (TypeError, ValueError, RuntimeError):
                error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or '
                                  f"Tensor-like object from checkpoint but received {type(value)}")
                continue
            if param.ndim == 0 and src.ndim == 1 and src.shape[0] == 1:
                src = src.reshape(())  # old checkpoints saved scalars as 1-element vectors
            if tuple(src.shape) != tuple(param.shape):
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{_size_str(src.shape)} from checkpoint, the shape in current model is "
                                  f"{_size_str(param.shape)}.")
                continue
            try:
                if assign:
                    new = _tensor_from(value, src, param)
                    if is_param:
                        setattr(self, name, Parameter(new, requires_grad=param.requires_grad))
                    else:
                        setattr(self, name, new)
                else:
                    dst = param._data
                    xp = xp_of(dst)
                    if xp is np and not isinstance(src, np.ndarray):
                        src = to_host(src)  # a CUDA tensor loaded into a CPU model
                    xp.copyto(dst, xp.asarray(src), casting="unsafe")
                    param._ver[0] += 1
            except Exception as ex:
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                                  f"{_size_str(param.shape)} and whose dimensions in the checkpoint are "
                                  f"{_size_str(src.shape)}, an exception occurred : {ex.args}.")
        if strict:
            own = {k for k, _, _ in local}
            for key in state_dict:
                if key.startswith(prefix):
                    parts = key[len(prefix):].split(".", 1)
                    # a dotted key must lead to a child module; a plain one must name our own tensor
                    if len(parts) > 1:
                        if parts[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif parts[0] not in own:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        r"""Copy parameters and buffers from ``state_dict`` into this module and its descendants.

        Values may be ember Tensors, numpy arrays, or anything with ``__array__`` (a dict read by
        ``safetensors.numpy.load_file`` loads directly). Values are copied in place (converted to the
        parameter's dtype and device) unless ``assign=True``, which makes the loaded tensors the new
        parameters (keeping ``requires_grad``).

        Args:
            state_dict (dict): parameters and persistent buffers by dotted name.
            strict (bool): raise if keys are missing or unexpected. Default: ``True``
            assign (bool): assign instead of copying. Default: ``False``

        Returns:
            ``NamedTuple`` with ``missing_keys`` and ``unexpected_keys`` lists.

        Raises:
            RuntimeError: on a shape mismatch, or missing/unexpected keys when ``strict``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        metadata = getattr(state_dict, "_metadata", None)
        missing, unexpected, error_msgs = [], [], []
        for mod_prefix, mod in self.named_modules(remove_duplicate=False):
            local_metadata = {} if metadata is None else metadata.get(mod_prefix, {})
            mod.__dict__["_load_assign"] = assign
            try:
                mod._load_from_state_dict(state_dict, mod_prefix + "." if mod_prefix else "", local_metadata, True,
                                          missing, unexpected, error_msgs)
            finally:
                mod.__dict__.pop("_load_assign", None)
        if strict:
            if unexpected:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing, unexpected)

    # --- printing ---------------------------------------------------------------------------------
    def extra_repr(self):
        r"""The module's own settings for its repr (``in_features=2, ...``); override in subclasses."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def _repr_from(self, child_reprs):
        """This module's repr, given the reprs of its children (``[(name, repr), ...]``)."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = ["(" + k + "): " + _addindent(r, 2) for k, r in child_reprs]
        lines = extra_lines + child_lines
        s = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                s += extra_lines[0]
            else:
                s += "\n  " + "\n  ".join(lines) + "\n"
        return s + ")"

    def __repr__(self):
        # Built bottom-up with an explicit stack (a deep tree must not overflow Python's stack);
        # a child class with its own __repr__ is asked directly.
        done = {}
        stack = [(self, False)]
        while stack:
            m, expanded = stack.pop()
            if id(m) in done:
                continue
            kids = [c for c in m._modules.values() if c is not None]
            if m is not self and type(m).__repr__ is not Module.__repr__:
                done[id(m)] = repr(m)
            elif expanded or not kids:
                done[id(m)] = m._repr_from([(k, done[id(c)] if c is not None else "None")
                                            for k, c in m._modules.items()])
            else:
                stack.append((m, True))
                stack.extend((c, False) for c in kids if id(c) not in done)
        return done[id(self)]


def _size_str(shape):
    return "torch.Size([" + ", ".join(str(int(s)) for s in shape) + "])"


def _as_array(value, like):
    """A state_dict value as an array for ``like``'s library: ember Tensor, numpy array, or ``__array__``."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "__array__") or isinstance(value, (list, tuple, int, float)):
        if hasattr(value, "detach") and callable(value.detach):
            value = value.detach()  # another framework's tensor that requires grad refuses __array__
        return np.asarray(value)
    raise TypeError(f"cannot load a {type(value).__name__}")


def _tensor_from(value, src, like):
    """An ember Tensor for ``assign=True`` loading: the given Tensor itself, or one made from the array."""
    if isinstance(value, Tensor):
        return value.detach()
    from ..tensor import tensor
    return tensor(np.asarray(src), device=like.device)
