from otter.test_files import test_case

OK_FORMAT = False

name = "schedules"
points = 4

@test_case(points=None, hidden=False)
def test_schedules(linear_beta_schedule, cosine_beta_schedule):
    """The public cases of schedules: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'linear_beta_schedule': linear_beta_schedule, 'cosine_beta_schedule': cosine_beta_schedule}
    cases = [('linear_beta_schedule', dict(what='T = 5, the default endpoints', inputs={'T': 5}, outputs=[torch.tensor([0.0001, 0.0050750000000000005, 0.01005, 0.015025, 0.02], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[('linear_off_by_one', 'the last value is beta_start + (T-1)/T (beta_end - beta_start), not beta_end; the T values run from beta_start to beta_end inclusive (torch.linspace).', (torch.tensor([0.0001, 0.00408, 0.00806, 0.01204, 0.01602], dtype=torch.float64),))])), ('linear_beta_schedule', dict(what='T = 1: the single value beta_start', inputs={'T': 1, 'beta_start': 0.001, 'beta_end': 0.02}, outputs=[torch.tensor([0.001], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[])), ('linear_beta_schedule', dict(what='T = 10, other endpoints', inputs={'T': 10, 'beta_start': 0.05, 'beta_end': 0.5}, outputs=[torch.tensor([0.05, 0.1, 0.15000000000000002, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[('linear_off_by_one', 'the last value is beta_start + (T-1)/T (beta_end - beta_start), not beta_end; the T values run from beta_start to beta_end inclusive (torch.linspace).', (torch.tensor([0.05, 0.095, 0.14, 0.185, 0.22999999999999998, 0.275, 0.32, 0.365, 0.41, 0.45499999999999996], dtype=torch.float64),))])), ('cosine_beta_schedule', dict(what='T = 10, the default offset and clip', inputs={'T': 10}, outputs=[torch.tensor([0.02790726288603096, 0.07549363729672243, 0.12439598636904847, 0.17718952540157384, 0.23728153019052478, 0.30988344010857216, 0.40400314303967555, 0.5369981776428854, 0.743829366895427, 0.999], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[('cosine_no_offset', 'the offset s is missing from f(t) = cos^2((t/T + s)/(1 + s) pi/2); without it the first betas are vanishingly small (Nichol & Dhariwal 2021, Sec. 3.2).', (torch.tensor([0.02447174185242318, 0.07280133647277642, 0.12229389926705136, 0.17557050458494639, 0.23606797749978958, 0.30901699437494756, 0.4034372128520819, 0.5366905073455592, 0.7437285922657707, 0.999], dtype=torch.float64),)), ('cosine_no_clipping', 'the betas are not clipped at max_beta; the last beta of the cosine schedule is 1 without the clip.', (torch.tensor([0.02790726288603096, 0.07549363729672243, 0.12439598636904847, 0.17718952540157384, 0.23728153019052478, 0.30988344010857216, 0.40400314303967555, 0.5369981776428854, 0.743829366895427, 1.0], dtype=torch.float64),)), ('cosine_alpha_bar_for_beta', 'the schedule returns alpha_bar_t (the cumulative product) where beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} belongs.', (torch.tensor([0.972092737113969, 0.8987059205995089, 0.7869105111508292, 0.6474782111465038, 0.49384359044063775, 0.3408096397593241, 0.2031214741183376, 0.09404561267665379, 0.024091724140085854, 3.749982237642683e-33], dtype=torch.float64),))])), ('cosine_beta_schedule', dict(what='T = 4, no offset, clipped at max_beta = 0.5', inputs={'T': 4, 's': 0.0, 'max_beta': 0.5}, outputs=[torch.tensor([0.14644660940672627, 0.4142135623730949, 0.5, 0.5], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[('cosine_no_clipping', 'the betas are not clipped at max_beta; the last beta of the cosine schedule is 1 without the clip.', (torch.tensor([0.14644660940672627, 0.4142135623730949, 0.7071067811865475, 1.0], dtype=torch.float64),)), ('cosine_alpha_bar_for_beta', 'the schedule returns alpha_bar_t (the cumulative product) where beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} belongs.', (torch.tensor([0.8535533905932737, 0.5000000000000001, 0.1464466094067263, 3.749399456654644e-33], dtype=torch.float64),))]))]
    depends = []
    run_cases(functions, cases, depends)

