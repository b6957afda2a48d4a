from otter.test_files import test_case

OK_FORMAT = False

name = "gaussian_score"
points = 1.5

@test_case(points=None, hidden=False)
def test_gaussian_score(gaussian_score):
    """The public cases of gaussian_score: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'gaussian_score': gaussian_score}
    cases = [('gaussian_score', dict(what='2-D points, a full covariance', inputs={'x': torch.tensor([[0.691168384129572, 1.6432362870023167], [0.6608741523667743, -2.606314463208722], [1.8107117333462355, 0.8927491447280226]], dtype=torch.float64), 'mean': torch.tensor([-0.5369532353602852, 0.5811181041963531], dtype=torch.float64), 'cov': torch.tensor([[0.609713478824835, 0.08558401016389855], [0.08558401016389855, 0.6498514567660575]], dtype=torch.float64)}, outputs=[torch.tensor([[-1.818459478610144, -1.3949143590706532], [-2.703026486105263, 5.260845964212296], [-3.8543799922028072, 0.02807142417949511]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('score_sign_flipped', 'the score points away from the mean; the log-density decreases away from the mean, so its gradient points towards it.', (torch.tensor([[1.818459478610144, 1.3949143590706532], [2.703026486105263, -5.260845964212296], [3.8543799922028072, -0.02807142417949511]], dtype=torch.float64),)), ('covariance_not_inverted', 'this multiplies by the covariance instead of its inverse (the precision matrix); the exponent of the Gaussian is -1/2 (x - mean)^T cov^{-1} (x - mean).', (torch.tensor([[-0.839702638391678, -0.7953266215190967], [-0.4575382423571927, 1.968842825945934], [-1.4580736093254987, -0.40343646820623513]], dtype=torch.float64),))])), ('gaussian_score', dict(what='1-D points', inputs={'x': torch.tensor([[0.37810676358706613], [-1.0454968829614948]], dtype=torch.float64), 'mean': torch.tensor([-0.41306354339189344], dtype=torch.float64), 'cov': torch.tensor([[6.460762980494307]], dtype=torch.float64)}, outputs=[torch.tensor([[-0.12245772045307686], [0.09788833632791998]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('score_sign_flipped', 'the score points away from the mean; the log-density decreases away from the mean, so its gradient points towards it.', (torch.tensor([[0.12245772045307686], [-0.09788833632791998]], dtype=torch.float64),)), ('covariance_not_inverted', 'this multiplies by the covariance instead of its inverse (the precision matrix); the exponent of the Gaussian is -1/2 (x - mean)^T cov^{-1} (x - mean).', (torch.tensor([[-5.111563830595978], [4.086001907921665]], dtype=torch.float64),))])), ('gaussian_score', dict(what='float32 points (float64 parameters): a float32 score', inputs={'x': torch.tensor([[4.081838130950928, -5.111330032348633, 0.8361976742744446], [-1.135539174079895, -0.9052985906600952, -0.43119433522224426]], dtype=torch.float32), 'mean': torch.tensor([-2.019986129147251, -0.23193237764418947, -0.8652130762749417], dtype=torch.float64), 'cov': torch.tensor([[4.239217953151014, -0.2378250998336727, -0.3685644312147749], [-0.2378250998336727, 1.0462504059560809, 0.013225170516400514], [-0.3685644312147749, 0.013225170516400514, 0.6473015281732262]], dtype=torch.float64)}, outputs=[torch.tensor([[-1.505187501147428, 4.366739082132927, -3.5747176455359453], [-0.2466567316421299, 0.5979367221561546, -0.823164214779381]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('score_sign_flipped', 'the score points away from the mean; the log-density decreases away from the mean, so its gradient points towards it.', (torch.tensor([[1.5051876306533813, -4.366738796234131, 3.5747175216674805], [0.24665674567222595, -0.5979366302490234, 0.8231642246246338]], dtype=torch.float32),)), ('covariance_not_inverted', 'this multiplies by the covariance instead of its inverse (the precision matrix); the exponent of the Gaussian is -1/2 (x - mean)^T cov^{-1} (x - mean).', (torch.tensor([[-26.400325775146484, 6.533738136291504, 1.2121204137802124], [-3.7495429515838623, 0.909113347530365, 0.0539400577545166]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

