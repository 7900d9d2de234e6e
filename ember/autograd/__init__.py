"""ember.autograd: reverse-mode automatic differentiation."""
from . import grad_mode
from .engine import backward, grad
from .function import Function, once_differentiable, FunctionCtx
from .grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled
from .gradcheck import gradcheck, gradgradcheck
from .anomaly import detect_anomaly, set_detect_anomaly
from . import function, functional, graph

__all__ = ["backward", "grad", "Function", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "gradcheck", "gradgradcheck", "detect_anomaly", "set_detect_anomaly", "once_differentiable"]
