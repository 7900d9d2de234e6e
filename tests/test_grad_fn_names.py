"""grad_fn names match PyTorch's (they show in every printed tensor: ``grad_fn=<MeanBackward0>``)."""
import pytest
import torch

import ember

CASES = {
    "mul": lambda t, x: x * 2, "add": lambda t, x: x + x, "sub": lambda t, x: x - 1, "rsub": lambda t, x: 1 - x,
    "div": lambda t, x: x / 2, "neg": lambda t, x: -x, "exp": lambda t, x: x.exp(), "relu": lambda t, x: x.relu(),
    "sigmoid": lambda t, x: x.sigmoid(), "tanh": lambda t, x: x.tanh(), "abs": lambda t, x: x.abs(),
    "mean": lambda t, x: x.mean(), "mean_dim": lambda t, x: x.mean(0), "sum": lambda t, x: x.sum(),
    "sum_dim": lambda t, x: x.sum(0), "t": lambda t, x: x.t(), "transpose": lambda t, x: x.transpose(0, 1),
    "permute": lambda t, x: x.permute(1, 0), "pow2": lambda t, x: x ** 2, "pow_tensor": lambda t, x: x ** x,
    "rpow": lambda t, x: 2 ** x, "max": lambda t, x: x.max(), "min": lambda t, x: x.min(),
    "clamp_min": lambda t, x: x.clamp(min=0), "clamp": lambda t, x: x.clamp(-1, 1),
    "select": lambda t, x: x[0], "select_col": lambda t, x: x[:, 1], "slice": lambda t, x: x[1:],
    "unsqueeze": lambda t, x: x.unsqueeze(0), "squeeze_dim": lambda t, x: x.unsqueeze(0).squeeze(0),
    "view": lambda t, x: x.view(-1), "std": lambda t, x: x.std(), "var": lambda t, x: x.var(),
    "norm": lambda t, x: x.norm(), "masked_fill": lambda t, x: x.masked_fill(x > 0, 0),
    "softmax": lambda t, x: x.softmax(0), "log_softmax": lambda t, x: x.log_softmax(0), "mm": lambda t, x: x.mm(x),
    "cat": lambda t, x: t.cat([x, x]), "stack": lambda t, x: t.stack([x, x]), "clone": lambda t, x: x.clone(),
    "to_double": lambda t, x: x.double(), "expand": lambda t, x: x[:1].expand(3, 3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_fn_name_matches_torch(name):
    f = CASES[name]
    assert f(ember, ember.ones(3, 3, requires_grad=True) * 1).grad_fn.name() == \
        f(torch, torch.ones(3, 3, requires_grad=True) * 1).grad_fn.name()
