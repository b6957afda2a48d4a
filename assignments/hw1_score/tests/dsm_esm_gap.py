from otter.test_files import test_case

OK_FORMAT = False

name = "dsm_esm_gap"
points = 2

@test_case(points=None, hidden=False)
def test_dsm_esm_gap(dsm_esm_gap):
    """The public cases of dsm_esm_gap: the grader runs exactly these (and hidden ones besides)."""
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

    class TestModel(torch.nn.Module):
        """The network a check hands to a student's function, built on both sides from the same arrays.

        ``x`` of shape ``(B, *D)`` is flattened to ``(B, d)``; ``s`` is a per-sample scalar (a step index or
        a noise level: a number, a 0-d or a ``(B,)`` tensor); ``y`` an optional int64 ``(B,)`` class label.

        - denoiser (an eps, score or x0 model): ``f(x, s[, y]) = x A^T + tanh(x W^T + b + s c [+ E[y]])``,
          shape ``(B, *D)``; without ``A`` it is ``tanh(...)`` alone.
        - classifier (``V`` given): ``f(x, s) = tanh(x W^T + b + s c) V^T``, logits of shape ``(B, K)``.

        Parameters are float64 and cast to ``x``'s dtype and device, so gradients reach them (loss checks).

        `time` is how the contract says the model is called: ``"index"`` (``t``, an int64 tensor of shape
        ``(B,)``: DDPM's eps-model), ``"level"`` (``sigma``, a number or a float tensor of shape ``()`` or
        ``(B,)``: a noise-conditional score model), ``"none"`` (``x`` alone, as ``f(x)``: a classifier's
        ``logits_fn``, whose ``s`` term is then 0) or ``"any"``. A call that breaks it raises TypeError, which the
        student sees. The step or level may also be passed by the contract's name (``t=`` for an index, ``sigma=`` for
        a level, either for ``"any"``), as the notebooks' own models and denoisers accept it.
        """
        PARTS = ('W', 'b', 'c', 'A', 'E', 'V')
        TIMES = ('any', 'index', 'level', 'none')

        def __init__(self, W, b, c, A=None, E=None, V=None, *, time: str='any'):
            super().__init__()
            if time not in self.TIMES:
                raise ValueError(f'time must be one of {self.TIMES}')
            self.time = time
            for name, value in zip(self.PARTS, (W, b, c, A, E, V)):
                if value is not None:
                    value = torch.as_tensor(value, dtype=torch.float64)
                    self.register_parameter(name, torch.nn.Parameter(value, requires_grad=False))
                else:
                    setattr(self, name, None)

        def arrays(self) -> dict:
            """The parameters by part name (only those present)."""
            return {p: to_numpy(getattr(self, p)) for p in self.PARTS if getattr(self, p) is not None}

        def copy(self) -> 'TestModel':
            return TestModel(**{p: torch.from_numpy(a.copy()) for p, a in self.arrays().items()}, time=self.time)

        def _check_time(self, s, B: int) -> None:
            if self.time == 'none':
                if s is not None:
                    raise TypeError('the model takes x alone (logits_fn(x)); it got a second argument')
                return
            if s is None and self.time == 'any':
                raise TypeError('the model takes a step or a noise level as its second argument: f(x, s)')
            if self.time == 'index' and (not (isinstance(s, torch.Tensor) and s.dtype == torch.int64 and (tuple(s.shape) == (B,)))):
                got = f'a {s.dtype} tensor of shape {tuple(s.shape)}' if isinstance(s, torch.Tensor) else repr(s)
                raise TypeError(f'the model takes t as an int64 tensor of shape (B,) = ({B},), the step of each sample (e.g. torch.full((B,), t, dtype=torch.int64)); it got {got}')
            if self.time == 'level':
                ok = isinstance(s, (int, float)) and (not isinstance(s, bool)) or (isinstance(s, torch.Tensor) and s.is_floating_point() and (tuple(s.shape) in ((), (B,))))
                if not ok:
                    got = f'a {s.dtype} tensor of shape {tuple(s.shape)}' if isinstance(s, torch.Tensor) else repr(s)
                    raise TypeError(f'the model takes the noise level sigma as a number or a float tensor of shape () or (B,) = ({B},); it got {got}')
        NAMES = {'any': ('t', 'sigma'), 'index': ('t',), 'level': ('sigma',), 'none': ()}
        WHAT = {'any': 'step or noise level', 'index': 'step', 'level': 'noise level', 'none': 'second argument'}

        def _named(self, s, named: dict):
            """`s` from a call that named it (``model(x, sigma=...)``): at most once, and only by the contract's name."""
            if not named:
                return s
            allowed = self.NAMES[self.time]
            for name in named:
                if name not in allowed:
                    how = f"f(x, {' or '.join(allowed)}[, y])" if allowed else 'f(x)'
                    raise TypeError(f'the model got an unexpected keyword argument {name!r}; it is called as {how}')
            if s is not None or len(named) > 1:
                raise TypeError(f'the model got its {self.WHAT[self.time]} twice')
            return next(iter(named.values()))

        def forward(self, x, s=None, y=None, **named):
            B = x.shape[0]
            s = self._named(s, named)
            self._check_time(s, B)
            cast = lambda p: p.to(dtype=x.dtype, device=x.device)
            s = torch.as_tensor(0.0 if s is None else s)
            s = s.to(dtype=x.dtype, device=x.device).reshape(-1, 1)
            h = x.reshape(B, -1) @ cast(self.W).T + cast(self.b) + s * cast(self.c)
            if y is not None:
                if self.E is None:
                    raise TypeError('this model takes no class label y')
                h = h + cast(self.E)[torch.as_tensor(y, device=x.device).long()]
            h = torch.tanh(h)
            if self.V is not None:
                return h @ cast(self.V).T
            if self.A is not None:
                h = x.reshape(B, -1) @ cast(self.A).T + h
            return h.reshape(x.shape)
    functions = {'dsm_esm_gap': dsm_esm_gap}
    cases = [('dsm_esm_gap', dict(what='a zero model and the true score -x, two noise levels', inputs={'score_model': TestModel(W=torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), b=torch.tensor([0.0, 0.0], dtype=torch.float64), c=torch.tensor([0.0, 0.0], dtype=torch.float64), A=torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), time='level'), 'x0': torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64), 'sigma': torch.tensor([0.5, 2.0], dtype=torch.float64), 'noise': torch.tensor([[0.0, 2.0], [1.0, 0.0]], dtype=torch.float64), 'true_score': TestModel(W=torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), b=torch.tensor([0.0, 0.0], dtype=torch.float64), c=torch.tensor([0.0, 0.0], dtype=torch.float64), A=torch.tensor([[-1.0, -0.0], [-0.0, -1.0]], dtype=torch.float64), time='level')}, outputs=[torch.tensor(-2.875, dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('gap_esm_unweighted', 'the explicit score matching term is not weighted by sigma^2 while the DSM term is; both objectives carry the same weight lambda(sigma) = sigma^2, or their difference depends on the model.', (torch.tensor(-0.25, dtype=torch.float64),)), ('gap_true_score_at_clean_data', 'the true score is evaluated at the clean x0; explicit score matching compares the model with the score of p_sigma at the same noisy x_tilde.', (torch.tensor(1.1875, dtype=torch.float64),)), ('gap_reversed', "the result is J_ESM - J_DSM; the contract asks for J_DSM - J_ESM (Vincent's constant C, which is positive on average).", (torch.tensor(2.875, dtype=torch.float64),))])), ('dsm_esm_gap', dict(what='random models, three noise levels', inputs={'score_model': TestModel(W=torch.tensor([[-0.0034133899327615895, 0.5230716461524513], [0.3707942106442414, 0.3619782708249953]], dtype=torch.float64), b=torch.tensor([0.8093881116670382, -0.6027790713231644], dtype=torch.float64), c=torch.tensor([-0.03134777355381867, -0.06603316058025625], dtype=torch.float64), A=torch.tensor([[-0.05387625397401494, 0.4993818276585113], [-0.010973943135190125, 0.24794003323211086]], dtype=torch.float64), time='level'), 'x0': torch.tensor([[3.6535131199148463, -6.1566638203960675], [1.9161279506176938, 0.13927445532188965], [2.636500048362137, 0.771258499996778]], dtype=torch.float64), 'sigma': torch.tensor([0.3, 1.0, 2.0], dtype=torch.float64), 'noise': torch.tensor([[0.6955197700381686, -0.9794741683587314], [-1.5734903329477068, -2.924970571840865], [-0.35323216358269055, 1.2476063726111246]], dtype=torch.float64), 'true_score': TestModel(W=torch.tensor([[-0.7154365114295436, -0.4682738581598573], [0.19696917840019046, -0.26204331395099895]], dtype=torch.float64), b=torch.tensor([0.2628081022587545, 0.4036618117046732], dtype=torch.float64), c=torch.tensor([-0.07217656941498178, 0.05085318944460935], dtype=torch.float64), A=torch.tensor([[-0.2978243237674978, 1.0470424929513187], [0.36434447077171034, -0.26949471529053753]], dtype=torch.float64), time='level')}, outputs=[torch.tensor(8.078851436297594, dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('gap_esm_unweighted', 'the explicit score matching term is not weighted by sigma^2 while the DSM term is; both objectives carry the same weight lambda(sigma) = sigma^2, or their difference depends on the model.', (torch.tensor(1.6653137238634474, dtype=torch.float64),)), ('gap_true_score_at_clean_data', 'the true score is evaluated at the clean x0; explicit score matching compares the model with the score of p_sigma at the same noisy x_tilde.', (torch.tensor(2.81637466690297, dtype=torch.float64),)), ('gap_reversed', "the result is J_ESM - J_DSM; the contract asks for J_DSM - J_ESM (Vincent's constant C, which is positive on average).", (torch.tensor(-8.078851436297594, dtype=torch.float64),))])), ('dsm_esm_gap', dict(what='float32 data', inputs={'score_model': TestModel(W=torch.tensor([[-0.2973618489201882, 0.315391743709918], [0.5196770616118788, 0.5154608722692742]], dtype=torch.float64), b=torch.tensor([0.9089230493644717, -0.19259469042511926], dtype=torch.float64), c=torch.tensor([0.027208859437634014, -0.01831108409286183], dtype=torch.float64), A=torch.tensor([[-0.7124242565031677, -0.35192956026943584], [0.06808116922663085, -0.45758736456996013]], dtype=torch.float64), time='level'), 'x0': torch.tensor([[1.1012624502182007, 0.3384312689304352], [-0.5399715304374695, -1.2602418661117554], [-1.8946212530136108, 0.018638290464878082]], dtype=torch.float32), 'sigma': torch.tensor([0.5, 1.0, 1.5], dtype=torch.float64), 'noise': torch.tensor([[-0.43233999609947205, -1.1300967931747437], [0.6738436818122864, -1.1078145503997803], [2.013915538787842, 0.9241120219230652]], dtype=torch.float32), 'true_score': TestModel(W=torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), b=torch.tensor([0.0, 0.0], dtype=torch.float64), c=torch.tensor([0.0, 0.0], dtype=torch.float64), A=torch.tensor([[-1.0, -0.0], [-0.0, -1.0]], dtype=torch.float64), time='level')}, outputs=[torch.tensor(-0.8630871717137163, dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('gap_esm_unweighted', 'the explicit score matching term is not weighted by sigma^2 while the DSM term is; both objectives carry the same weight lambda(sigma) = sigma^2, or their difference depends on the model.', (torch.tensor(-0.32110515236854553, dtype=torch.float32),)), ('gap_true_score_at_clean_data', 'the true score is evaluated at the clean x0; explicit score matching compares the model with the score of p_sigma at the same noisy x_tilde.', (torch.tensor(-1.2045286893844604, dtype=torch.float32),)), ('gap_reversed', "the result is J_ESM - J_DSM; the contract asks for J_DSM - J_ESM (Vincent's constant C, which is positive on average).", (torch.tensor(0.8630869388580322, dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

