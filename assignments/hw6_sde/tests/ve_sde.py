from otter.test_files import test_case

OK_FORMAT = False

name = "ve_sde"
points = 1

@test_case(points=None, hidden=False)
def test_ve_sde(ve_sde):
    """The public cases of ve_sde: the grader runs exactly these (and hidden ones besides)."""
    import math
    import torch
    MATCH_RTOL, MATCH_ATOL = (1e-05, 1e-07)

    def compare_output(what, got, want, dtype, rtol, atol, broadcast=None):
        """None when `got` is a tensor of dtype `dtype` and `want`'s shape (or, with `broadcast` a shape, one that
        broadcasts to it as `want` does) whose entries are within atol + rtol * |want| of `want` (float64); else
        what is wrong."""
        import torch
        if not isinstance(got, torch.Tensor):
            hint = ': replace the `...` with your code' if got is None or got is Ellipsis else ''
            return f'{what}: expected a torch tensor, got {type(got).__name__}{hint}'
        if dtype is not None and str(got.dtype).replace('torch.', '') != dtype:
            return f"{what}: returned dtype {str(got.dtype).replace('torch.', '')}, expected {dtype} (results keep the dtype of the data they are given)"
        g = got.detach().to(torch.float64).cpu()
        if broadcast:
            try:
                g, want = (torch.broadcast_to(g, broadcast), torch.broadcast_to(want, broadcast))
            except RuntimeError:
                return f'{what}: shape {tuple(got.shape)} does not broadcast to {tuple(broadcast)}'
        elif g.shape != want.shape:
            return f'{what}: expected shape {tuple(want.shape)}, got {tuple(got.shape)}'
        if not torch.isfinite(g).all():
            return f'{what}: the result contains nan or inf where the expected value is finite'
        err = (g - want).abs()
        ratio = err / (atol + rtol * want.abs())
        if want.numel() and ratio.max() > 1:
            flat = int(ratio.argmax())
            idx = tuple((int(i) for i in torch.unravel_index(torch.tensor(flat), want.shape))) if want.dim() else ()
            return f'{what}: wrong value at index {idx}: got {g[idx].item():.8g}, expected {want[idx].item():.8g} (error {err[idx].item():.3g}, allowed {atol:.0e} + {rtol:.0e} x |expected|)'
        return None

    def close_to(got, want, factor=1.0):
        """Whether `got` is the same answer as `want`: same dtype, shapes that broadcast together to the size of the
        larger, entries within `factor` times the match bound (nan matches nan). Self-contained (torch imported
        inside): public.py copies it into the notebook's tests, so the notebook matches exactly as the grader does."""
        import torch
        if not (isinstance(got, torch.Tensor) and isinstance(want, torch.Tensor)) or got.dtype != want.dtype:
            return False
        try:
            g, w = torch.broadcast_tensors(got.detach().to(torch.float64).cpu(), want.detach().to(torch.float64).cpu())
        except RuntimeError:
            return False
        if g.numel() != max(got.numel(), want.numel()):
            return False
        same = torch.isnan(g) & torch.isnan(w) | torch.isinf(g) & (g == w)
        err = torch.where(same, torch.zeros_like(g), (g - w).abs())
        return bool((err <= factor * (MATCH_ATOL + MATCH_RTOL * torch.nan_to_num(w.abs(), posinf=0.0))).all())

    def judge_raised(what, raised, expected):
        """None when the call raised the exception class `expected` (`raised`: the class name, None if it returned);
        else what is wrong."""
        if raised is None:
            return f'{what}: returned a result where the contract raises {expected} for these inputs'
        if raised != expected:
            return f'{what}: raised {raised} where the contract raises {expected} for these inputs'
        return None

    def judge(what, outputs, answer_outputs, dtypes, rtol, atol, broadcast):
        """The first thing wrong with a function's outputs (a tensor or a tuple), or None."""
        got = outputs if isinstance(outputs, tuple) else (outputs,)
        if len(answer_outputs) > 1 and (not isinstance(outputs, tuple)):
            return f'{what}: expected a tuple of {len(answer_outputs)} tensors, got {type(outputs).__name__}'
        if len(got) != len(answer_outputs):
            return f'{what}: expected {len(answer_outputs)} output(s), got {len(got)}'
        for i, (g, w, d) in enumerate(zip(got, answer_outputs, dtypes)):
            name = what if len(got) == 1 else f'{what}, output {i}'
            target = tuple(answer_outputs[0].shape) if i in broadcast else None
            problem = compare_output(name, g, w, d, rtol, atol, target)
            if problem:
                return problem
        return None

    def judge_loss(what, value, grads, answer_value, answer_grads, dtype, rtol, atol):
        """The first thing wrong with a loss's value or its gradients (parameter name -> tensor or None), or None."""
        import torch
        if not isinstance(value, torch.Tensor):
            return f'{what}: expected a scalar tensor, got {type(value).__name__}'
        if value.numel() != 1:
            return f'{what}: expected a scalar (0-d tensor), got shape {tuple(value.shape)}'
        problem = compare_output(what, value.reshape(()), answer_value.reshape(()), dtype, rtol, atol)
        if problem:
            return problem
        if grads is None:
            return f"{what}: the loss is not differentiable with respect to the model's parameters (no .item(), no torch.no_grad(), no .detach()); training with it would not update the model"
        for name, want in answer_grads.items():
            if grads.get(name) is None:
                return f"{what}: the loss does not depend on the model's parameter {name} (is the model called on the right inputs?)"
            problem = compare_output(f"{what}: gradient with respect to the model's parameter {name}", grads[name], want, None, rtol, atol + rtol * float(want.abs().max()))
            if problem:
                return problem
        return None

    def describe(inputs):
        """The inputs in one line: small tensors by value, larger ones by shape and dtype."""
        import torch
        parts = []
        for k, v in inputs.items():
            if isinstance(v, torch.Tensor):
                dtype = str(v.dtype).replace('torch.', '')
                parts.append(f'{k}={v.tolist()}' if v.numel() <= 4 else f'{k}: {dtype} of shape {tuple(v.shape)}')
            elif isinstance(v, torch.nn.Module):
                parts.append(f'{k}: a test model')
            else:
                parts.append(f'{k}={v!r}')
        return ', '.join(parts)

    def run_case(fn, name, number, case, name_known=True):
        """Run one rendered case on the student's function `fn`; raise AssertionError with what is wrong."""
        import torch
        inputs = case['inputs']
        what = f"{name} (public case {number}: {case['what']})"
        if case.get('raises'):
            raised = None
            try:
                fn(**inputs)
            except Exception as err:
                raised = type(err).__name__
            problem = judge_raised(what, raised, case['raises'])
            if problem:
                raise AssertionError(f'{problem}\n    inputs: {describe(inputs)}')
            return
        before = {k: v.clone() for k, v in inputs.items() if isinstance(v, torch.Tensor)}
        loss = case.get('loss')
        if loss:
            params = dict(inputs[loss].named_parameters())
            for p in params.values():
                p.requires_grad_(True)
        try:
            got = fn(**inputs)
            grads = None
            if loss and isinstance(got, torch.Tensor) and got.requires_grad and (got.numel() == 1):
                values = torch.autograd.grad(got.sum(), list(params.values()), allow_unused=True)
                grads = dict(zip(params, values))
        finally:
            if loss:
                for p in params.values():
                    p.requires_grad_(False)
        for k, v in before.items():
            if not torch.equal(v, inputs[k]):
                raise AssertionError(f'{what}: changed its input {k} in place; the caller still needs it: compute a new tensor (x = x + ..., not x += ... or x.mul_(...))')
        if loss:
            problem = judge_loss(what, got, grads, case['outputs'][0], case['grads'], case['dtypes'][0], *case['tol'])
        else:
            problem = judge(what, got, case['outputs'], case['dtypes'], *case['tol'], case.get('broadcast', ()))
        if problem:
            got_outputs = got if isinstance(got, tuple) else (got,)
            if loss and grads is not None:
                got_outputs = (got, *[grads.get(n) for n in case['grads']])
            known = [(mistake, message) for mistake, message, outputs in case.get('known', ()) if len(outputs) == len(got_outputs) and all((close_to(g, w) for g, w in zip(got_outputs, outputs)))]
            if name_known and len(known) == 1:
                problem += f"\nThis is a known mistake ({known[0][0].replace('_', ' ')}): {known[0][1]}"
            raise AssertionError(f'{problem}\n    inputs: {describe(inputs)}')

    def run_cases(functions, cases, depends):
        """Run every case; when one fails and a function it may call (`depends`: the cases of those functions) fails
        its own cases, say so instead of naming a known mistake: the grader checks each function with correct
        versions of the functions it calls, so the mistake may well be in the one it calls."""
        for number, (name, case) in enumerate(cases, 1):
            try:
                run_case(functions[name], name, number, case)
            except AssertionError:
                broken = None
                for other, other_case in depends:
                    try:
                        run_case(functions[other], other, 0, other_case, name_known=False)
                    except Exception:
                        broken = other
                        break
                if broken is None:
                    raise
                try:
                    run_case(functions[name], name, number, case, name_known=False)
                except AssertionError as err:
                    raise AssertionError(f'{err}\nNote: {name} may call {broken}, which fails its own public check; the grader checks {name} with a correct {broken}, so fix {broken} first.') from None
    functions = {'ve_sde': ve_sde}
    cases = [('ve_sde', dict(what='points, one Python float time', inputs={'x': torch.tensor([[1.0, -2.0], [0.5, 0.25]], dtype=torch.float64), 'time': 0.3, 'sigma_min': 0.01, 'sigma_max': 50.0}, outputs=[torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), torch.tensor(0.531317656301297, dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), broadcast=(1,), known=[('ve_sigma_as_variance', 'g**2 is the time derivative of sigma(t) itself, as if sigma(t) were the variance of the kernel; sigma(t) is its standard deviation, so g**2 = d[sigma(t)**2]/dt (Song et al. Eq. (9)).', (torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), torch.tensor(1.0471134782279723, dtype=torch.float64))), ('ve_g_is_dsigma_dt', "g is d sigma(t)/dt; the noise's variance rate is g**2 = d[sigma(t)**2]/dt, so g = sqrt(d[sigma**2]/dt).", (torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), torch.tensor(1.096446636286682, dtype=torch.float64)))])), ('ve_sde', dict(what='a time per sample (B,), from sigma_min to sigma_max', inputs={'x': torch.tensor([[1.0], [0.5], [3.0]], dtype=torch.float64), 'time': torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64), 'sigma_min': 0.002, 'sigma_max': 80.0}, outputs=[torch.tensor([[0.0], [0.0], [0.0]], dtype=torch.float64), torch.tensor([[0.009207229652005459], [1.841445930401092], [368.28918608021837]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), broadcast=(1,), known=[('ve_sigma_as_variance', 'g**2 is the time derivative of sigma(t) itself, as if sigma(t) were the variance of the kernel; sigma(t) is its standard deviation, so g**2 = d[sigma(t)**2]/dt (Song et al. Eq. (9)).', (torch.tensor([[0.0], [0.0], [0.0]], dtype=torch.float64), torch.tensor([[0.14557908320288374], [2.058799138633594], [29.115816640576746]], dtype=torch.float64))), ('ve_g_is_dsigma_dt', "g is d sigma(t)/dt; the noise's variance rate is g**2 = d[sigma(t)**2]/dt, so g = sqrt(d[sigma**2]/dt).", (torch.tensor([[0.0], [0.0], [0.0]], dtype=torch.float64), torch.tensor([[0.021193269466192145], [4.238653893238429], [847.7307786476858]], dtype=torch.float64)))])), ('ve_sde', dict(what='float32 images (B, C, H, W)', inputs={'x': torch.tensor([[[[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625]]], [[[1.7997074127197266, 1.1441658735275269], [-0.32542282342910767, 0.7738065719604492]]]], dtype=torch.float32), 'time': torch.tensor([0.2, 0.7], dtype=torch.float64), 'sigma_min': 0.01, 'sigma_max': 1.0}, outputs=[torch.tensor([[[[0.0, 0.0], [0.0, 0.0]]], [[[0.0, 0.0], [0.0, 0.0]]]], dtype=torch.float64), torch.tensor([[[[0.07623209234214164]]], [[[0.7623209234214161]]]], dtype=torch.float64)], dtypes=['float32', 'float32'], tol=(0.0001, 1e-05), broadcast=(1,), known=[('ve_sigma_as_variance', 'g**2 is the time derivative of sigma(t) itself, as if sigma(t) were the variance of the kernel; sigma(t) is its standard deviation, so g**2 = d[sigma(t)**2]/dt (Song et al. Eq. (9)).', (torch.tensor([[[[0.0, 0.0], [0.0, 0.0]]], [[[0.0, 0.0], [0.0, 0.0]]]], dtype=torch.float32), torch.tensor([[[[0.34011271595954895]]], [[[1.075530767440796]]]], dtype=torch.float32))), ('ve_g_is_dsigma_dt', "g is d sigma(t)/dt; the noise's variance rate is g**2 = d[sigma(t)**2]/dt, so g = sqrt(d[sigma**2]/dt).", (torch.tensor([[[[0.0, 0.0], [0.0, 0.0]]], [[[0.0, 0.0], [0.0, 0.0]]]], dtype=torch.float32), torch.tensor([[[[0.115676648914814]]], [[[1.156766414642334]]]], dtype=torch.float32)))]))]
    depends = []
    run_cases(functions, cases, depends)

