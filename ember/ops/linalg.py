"""Matrix products. One primitive (batched, broadcast ``matmul`` on >= 2-D operands);
1-D cases, mm, bmm, mv, dot and outer are shape bookkeeping around it in tensor.py."""
import numpy as np

from ..backend import xp_of
from ..backend.parallel import matmul as _cpu_matmul
from ..threads import _Threads


def matmul_arrays(a, b):
    """The array product; with EMBER_MATMUL_SPLIT, large 2-D CPU products are split over threads."""
    if a.__class__ is np.ndarray:
        return np.matmul(a, b) if _Threads.split < 2 else _cpu_matmul(a, b)
    return xp_of(a).matmul(a, b)
from .elementwise import Op, sum_to


class MatMul(Op):
    save_inputs = (0, 1)
    grad_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        return matmul_arrays(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = sum_to(g.matmul(b.mT), a.shape) if need_a else None
        gb = sum_to(a.mT.matmul(g), b.shape) if need_b else None
        return ga, gb


class Einsum(Op):
    """einsum over explicit subscripts ('ij,jk->ik'); each operand's gradient is another einsum."""
    save_inputs = "all"

    @staticmethod
    def forward(ctx, *ops, equation=""):
        ctx.equation = equation
        return xp_of(ops[0]).einsum(equation, *ops, optimize=len(ops) > 2)

    @staticmethod
    def backward(ctx, g):
        from ..tensor import einsum
        ins, out = ctx.equation.split("->")
        subs = ins.split(",")
        operands = ctx.saved_tensors
        grads = []
        for i, (s, x) in enumerate(zip(subs, operands)):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [o for j, o in enumerate(operands) if j != i]
            other_subs = [t for j, t in enumerate(subs) if j != i]
            # letters of x that appear nowhere else were summed away: bring them back by expansion
            present = set(out) | set("".join(other_subs))
            kept = "".join(c for c in dict.fromkeys(s) if c in present)
            gx = einsum(",".join([out] + other_subs) + "->" + kept, g, *others)
            gx = _expand_to_subscript(gx, kept, s, x.shape)
            grads.append(gx if gx.shape == x.shape else _match_broadcast(gx, x.shape))
        return tuple(grads)


def _match_broadcast(g, shape):
    """Size-1 dims broadcast in einsum: sum where x had size 1, expand where the others did."""
    red = tuple(i for i, (a, b) in enumerate(zip(g.shape, shape)) if a != b and b == 1)
    if red:
        g = g.sum(red, keepdim=True)
    return g if g.shape == shape else g.expand(shape)


def _expand_to_subscript(gx, kept, target, shape):
    """Turn a gradient over the letters ``kept`` into one over ``target`` (repeated letters = diagonals)."""
    from ..tensor import einsum, ones
    if kept == target:
        return gx
    sizes = {c: shape[i] for i, c in enumerate(target)}
    # multiply by ones over the missing letters, and by identities for repeated letters
    letters = list(dict.fromkeys(target))
    missing = [c for c in letters if c not in kept]
    extra_ops, extra_subs = [], []
    for c in missing:
        extra_ops.append(ones(sizes[c], dtype=gx.dtype, device=gx.device))
        extra_subs.append(c)
    seen = {}
    tgt = []
    for c in target:
        if c in seen:
            # a repeated letter: new letter tied to c by an identity matrix
            from ..tensor import eye
            new = _fresh_letter(target + kept + "".join(seen.values()))
            seen[c + str(len(seen))] = new
            extra_ops.append(eye(sizes[c], dtype=gx.dtype, device=gx.device))
            extra_subs.append(c + new)
            tgt.append(new)
        else:
            seen[c] = c
            tgt.append(c)
    eq = ",".join([kept] + extra_subs) + "->" + "".join(tgt)
    return einsum(eq, gx, *extra_ops)


def _fresh_letter(used):
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if c not in used:
            return c
    raise RuntimeError("einsum: ran out of subscript letters")
