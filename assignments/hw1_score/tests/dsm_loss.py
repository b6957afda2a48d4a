from otter.test_files import test_case

OK_FORMAT = False

name = "dsm_loss"
points = 4

@test_case(points=None, hidden=False)
def test_dsm_loss(dsm_loss):
    """The public cases of dsm_loss: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'dsm_loss': dsm_loss}
    cases = [('dsm_loss', dict(what='a model that returns 0 (the loss is then mean 0.5 ||noise||^2)', inputs={'score_model': TestModel(W=torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), b=torch.tensor([0.0, 0.0], dtype=torch.float64), c=torch.tensor([0.0, 0.0], dtype=torch.float64), A=torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), time='level'), 'x0': torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), 'sigma': torch.tensor([0.5, 2.0, 1.0], dtype=torch.float64), 'noise': torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]], dtype=torch.float64)}, outputs=[torch.tensor(1.1666666666666667, dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), loss='score_model', grads={'W': torch.tensor([[0.41666666666666663, -0.3333333333333333], [-0.3333333333333333, 5.666666666666666]], dtype=torch.float64), 'b': torch.tensor([-0.16666666666666666, 1.6666666666666665], dtype=torch.float64), 'c': torch.tensor([-0.25, 3.0], dtype=torch.float64), 'A': torch.tensor([[0.41666666666666663, -0.3333333333333333], [-0.3333333333333333, 5.666666666666666]], dtype=torch.float64)}, known=[('dsm_no_sigma_weight', "the per-level losses are not weighted by lambda(sigma) = sigma^2, so small noise levels dominate; multiply each sample's loss by sigma_b^2.", (torch.tensor(1.1666666666666667, dtype=torch.float64), torch.tensor([[0.6666666666666666, -0.3333333333333333], [-0.3333333333333333, 1.6666666666666665]], dtype=torch.float64), torch.tensor([0.3333333333333333, 0.6666666666666666], dtype=torch.float64), torch.tensor([0.0, 1.0], dtype=torch.float64), torch.tensor([[0.6666666666666666, -0.3333333333333333], [-0.3333333333333333, 1.6666666666666665]], dtype=torch.float64))), ('dsm_target_sign', 'the regression target has the wrong sign; the score of the noising kernel q(x_tilde | x0) is -(x_tilde - x0) / sigma^2 = -noise / sigma.', (torch.tensor(1.1666666666666667, dtype=torch.float64), torch.tensor([[-0.41666666666666663, 0.3333333333333333], [0.3333333333333333, -5.666666666666666]], dtype=torch.float64), torch.tensor([0.16666666666666666, -1.6666666666666665], dtype=torch.float64), torch.tensor([0.25, -3.0], dtype=torch.float64), torch.tensor([[-0.41666666666666663, 0.3333333333333333], [0.3333333333333333, -5.666666666666666]], dtype=torch.float64))), ('dsm_model_at_clean_data', 'the model is evaluated at the clean x0; denoising score matching evaluates it at the noisy x_tilde = x0 + sigma * noise.', (torch.tensor(1.1666666666666667, dtype=torch.float64), torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), torch.tensor([-0.16666666666666666, 1.6666666666666665], dtype=torch.float64), torch.tensor([-0.25, 3.0], dtype=torch.float64), torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64))), ('dsm_sum_over_batch', 'the loss sums over the batch; average over the batch (sum only over the data dimensions).', (torch.tensor(3.5, dtype=torch.float64), torch.tensor([[1.25, -1.0], [-1.0, 17.0]], dtype=torch.float64), torch.tensor([-0.5, 5.0], dtype=torch.float64), torch.tensor([-0.75, 9.0], dtype=torch.float64), torch.tensor([[1.25, -1.0], [-1.0, 17.0]], dtype=torch.float64))), ('dsm_no_half', "the factor 1/2 of Song & Ermon's Eq. (5) is missing.", (torch.tensor(2.3333333333333335, dtype=torch.float64), torch.tensor([[0.8333333333333333, -0.6666666666666666], [-0.6666666666666666, 11.333333333333332]], dtype=torch.float64), torch.tensor([-0.3333333333333333, 3.333333333333333], dtype=torch.float64), torch.tensor([-0.5, 6.0], dtype=torch.float64), torch.tensor([[0.8333333333333333, -0.6666666666666666], [-0.6666666666666666, 11.333333333333332]], dtype=torch.float64)))])), ('dsm_loss', dict(what='a random model, one noise level per sample', inputs={'score_model': TestModel(W=torch.tensor([[1.0204595606925912, -1.2778325156570909], [0.20904942336288942, -0.2838848030639649]], dtype=torch.float64), b=torch.tensor([-0.22632464605522293, -0.10779858154488295], dtype=torch.float64), c=torch.tensor([-0.10099930645736255, -0.011596618882209475], dtype=torch.float64), A=torch.tensor([[-0.43260653813747085, 1.6614997583224413], [0.11289330661396088, -0.1763153971707977]], dtype=torch.float64), time='level'), 'x0': torch.tensor([[-1.3035823052233793, -0.3494345846515543], [3.3274479827823935, 1.31829549966451], [-3.2827945891692933, -0.010406528343863955]], dtype=torch.float64), 'sigma': torch.tensor([0.1, 1.0, 3.0], dtype=torch.float64), 'noise': torch.tensor([[-0.8019314252534474, -1.324358995628145], [-0.24836162209524854, 0.4204452380655215], [1.1360465324896427, 0.10970639932180819]], dtype=torch.float64)}, outputs=[torch.tensor(1.1639923512999553, dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), loss='score_model', grads={'W': torch.tensor([[1.409435196108408, 0.8684121142498343], [0.48768531031836554, 0.11343177521448228]], dtype=torch.float64), 'b': torch.tensor([0.7348322629564673, -0.4805504085753586], dtype=torch.float64), 'c': torch.tensor([1.35949139287796, -1.646841538046862], dtype=torch.float64), 'A': torch.tensor([[2.0001649879338146, 1.2582038387307124], [0.4889751042356736, 0.10679420836513473]], dtype=torch.float64)}, known=[('dsm_no_sigma_weight', "the per-level losses are not weighted by lambda(sigma) = sigma^2, so small noise levels dominate; multiply each sample's loss by sigma_b^2.", (torch.tensor(44.79999480651651, dtype=torch.float64), torch.tensor([[3.0158364249228455, 1.352759971949238], [6.346701060169363, 2.3009414576655574]], dtype=torch.float64), torch.tensor([-0.7236006099777315, -4.13088200979408], dtype=torch.float64), torch.tensor([0.422423735955952, -0.4596116882500977], dtype=torch.float64), torch.tensor([[6.046416418116439, 2.5314244683207927], [6.755888328832931, 2.442736294995745]], dtype=torch.float64))), ('dsm_target_sign', 'the regression target has the wrong sign; the score of the noising kernel q(x_tilde | x0) is -(x_tilde - x0) / sigma^2 = -noise / sigma.', (torch.tensor(1.902385393363032, dtype=torch.float64), torch.tensor([[1.5880287072171817, 0.66434988640265], [-0.5151088789050626, -0.48025792777285253]], dtype=torch.float64), torch.tensor([-0.38072902348422244, -0.8883480743469235], dtype=torch.float64), torch.tensor([-2.286531772768874, -2.549477987435409], dtype=torch.float64), torch.tensor([[2.151207851451263, 0.7961881667667703], [-0.5237596909373201, -0.4930435734122584]], dtype=torch.float64))), ('dsm_model_at_clean_data', 'the model is evaluated at the clean x0; denoising score matching evaluates it at the noisy x_tilde = x0 + sigma * noise.', (torch.tensor(3.3050431361368378, dtype=torch.float64), torch.tensor([[0.3414638393861499, 0.1388799424734933], [6.240563303455571, 0.3536196970529644]], dtype=torch.float64), torch.tensor([0.09652668906507131, -1.434525117764259], dtype=torch.float64), torch.tensor([0.11398112969418664, -4.670430778053496], dtype=torch.float64), torch.tensor([[-6.131845766451583, 0.5941680049125028], [10.856803131156939, 0.38264193211262154]], dtype=torch.float64))), ('dsm_sum_over_batch', 'the loss sums over the batch; average over the batch (sum only over the data dimensions).', (torch.tensor(3.491977053899866, dtype=torch.float64), torch.tensor([[4.228305588325225, 2.6052363427495036], [1.4630559309550963, 0.3402953256434468]], dtype=torch.float64), torch.tensor([2.2044967888694025, -1.4416512257260754], dtype=torch.float64), torch.tensor([4.078474178633881, -4.940524614140585], dtype=torch.float64), torch.tensor([[6.000494963801444, 3.774611516192137], [1.466925312707021, 0.3203826250954044]], dtype=torch.float64))), ('dsm_no_half', "the factor 1/2 of Song & Ermon's Eq. (5) is missing.", (torch.tensor(2.3279847025999105, dtype=torch.float64), torch.tensor([[2.818870392216816, 1.7368242284996687], [0.9753706206367311, 0.2268635504289646]], dtype=torch.float64), torch.tensor([1.4696645259129346, -0.961100817150717], dtype=torch.float64), torch.tensor([2.71898278575592, -3.293683076093723], dtype=torch.float64), torch.tensor([[4.000329975867629, 2.516407677461425], [0.9779502084713473, 0.21358841673026957]], dtype=torch.float64)))])), ('dsm_loss', dict(what='float32 data: a float32 loss', inputs={'score_model': TestModel(W=torch.tensor([[0.5265578772433791, 0.8882456519084965], [-1.2766459192285067, -0.06898253068920404]], dtype=torch.float64), b=torch.tensor([0.5068597045266383, 0.6760709126909956], dtype=torch.float64), c=torch.tensor([0.03268941922081028, 0.07485589262939189], dtype=torch.float64), A=torch.tensor([[0.144978795683174, 0.27563356588420596], [0.08936884378525202, -0.5369293507376846]], dtype=torch.float64), time='level'), 'x0': torch.tensor([[0.001230153371579945, 0.2987455427646637], [-0.27413785457611084, -0.8905918598175049], [-0.454670786857605, -0.9916465282440186]], dtype=torch.float32), 'sigma': torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64), 'noise': torch.tensor([[-1.7382663488388062, -1.3366427421569824], [-1.3611067533493042, -0.35161712765693665], [-2.3125815391540527, -0.18889719247817993]], dtype=torch.float32)}, outputs=[torch.tensor(10.379164659957366, dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), loss='score_model', grads={'W': torch.tensor([[0.7024236613871513, 0.3875814466893836], [0.0036810104513193835, -0.0008590758331892672]], dtype=torch.float64), 'b': torch.tensor([-0.5263033571245784, -0.008185786811199207], dtype=torch.float64), 'c': torch.tensor([-0.39488284223700026, -0.0018650784452706377], dtype=torch.float64), 'A': torch.tensor([[23.961538415216516, 7.260677426705907], [-8.557164651544165, -2.5995730119592793]], dtype=torch.float64)}, known=[('dsm_no_sigma_weight', "the per-level losses are not weighted by lambda(sigma) = sigma^2, so small noise levels dominate; multiply each sample's loss by sigma_b^2.", (torch.tensor(6.617248058319092, dtype=torch.float32), torch.tensor([[1.4185996055603027, 0.706098735332489], [0.03659237176179886, 0.013154035434126854]], dtype=torch.float64), torch.tensor([-1.4343394041061401, -0.04609774053096771], dtype=torch.float64), torch.tensor([-0.8232910633087158, -0.020823713392019272], dtype=torch.float64), torch.tensor([[8.221961975097656, 3.1518054008483887], [-2.1807212829589844, -0.8263137340545654]], dtype=torch.float64))), ('dsm_target_sign', 'the regression target has the wrong sign; the score of the noising kernel q(x_tilde | x0) is -(x_tilde - x0) / sigma^2 = -noise / sigma.', (torch.tensor(3.410329818725586, dtype=torch.float32), torch.tensor([[-0.1561480164527893, -0.06767170876264572], [-0.03734457865357399, -0.019796419888734818]], dtype=torch.float64), torch.tensor([0.21884486079216003, 0.036705296486616135], dtype=torch.float64), torch.tensor([0.0956861823797226, 0.02192532829940319], dtype=torch.float64), torch.tensor([[6.311455249786377, 1.6967593431472778], [-10.606599807739258, -3.400336265563965]], dtype=torch.float64))), ('dsm_model_at_clean_data', 'the model is evaluated at the clean x0; denoising score matching evaluates it at the noisy x_tilde = x0 + sigma * noise.', (torch.tensor(5.119233131408691, dtype=torch.float32), torch.tensor([[1.0665425062179565, 2.45725679397583], [-0.17639079689979553, -0.44933825731277466]], dtype=torch.float64), torch.tensor([-2.705181360244751, 0.307878315448761], dtype=torch.float64), torch.tensor([-4.637699127197266, 0.694952666759491], dtype=torch.float64), torch.tensor([[1.3937114477157593, 3.169555902481079], [-0.8714269399642944, -2.045872211456299]], dtype=torch.float64))), ('dsm_sum_over_batch', 'the loss sums over the batch; average over the batch (sum only over the data dimensions).', (torch.tensor(31.137496948242188, dtype=torch.float32), torch.tensor([[2.107271671295166, 1.1627447605133057], [0.011044143699109554, -0.002576940692961216]], dtype=torch.float64), torch.tensor([-1.57891047000885, -0.024557551369071007], dtype=torch.float64), torch.tensor([-1.184648871421814, -0.0055956654250621796], dtype=torch.float64), torch.tensor([[71.8846206665039, 21.782033920288086], [-25.67149543762207, -7.79871940612793]], dtype=torch.float64))), ('dsm_no_half', "the factor 1/2 of Song & Ermon's Eq. (5) is missing.", (torch.tensor(20.758331298828125, dtype=torch.float32), torch.tensor([[1.4048478603363037, 0.7751631736755371], [0.007362763397395611, -0.0017179598798975348]], dtype=torch.float64), torch.tensor([-1.0526069402694702, -0.016371702775359154], dtype=torch.float64), torch.tensor([-0.7897659540176392, -0.0037304444704204798], dtype=torch.float64), torch.tensor([[47.9230842590332, 14.521356582641602], [-17.114330291748047, -5.199146270751953]], dtype=torch.float64)))]))]
    depends = []
    run_cases(functions, cases, depends)

