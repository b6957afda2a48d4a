from otter.test_files import test_case

OK_FORMAT = False

name = "karras_euler_step"
points = 1.5

@test_case(points=None, hidden=False)
def test_karras_euler_step(karras_euler_step):
    """The public cases of karras_euler_step: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'karras_euler_step': karras_euler_step}
    cases = [('karras_euler_step', dict(what='points, Python float levels', inputs={'x': torch.tensor([[0.2514604421867866, -0.2642097265826038], [1.2808453008865641, 0.20980023430607941], [-1.071338746322222, 0.7231901098189695]], dtype=torch.float64), 'sigma': 2.0, 'sigma_next': 1.5, 'denoiser': TestModel(W=torch.tensor([[0.5216000180520549, 0.3788323852516969], [-0.28149409432279704, -0.506168588418421]], dtype=torch.float64), b=torch.tensor([-0.2493097850149409, 0.01653039173889744], dtype=torch.float64), c=torch.tensor([-0.46500615492776687, -0.043758332786509146], dtype=torch.float64), A=torch.tensor([[-0.4983643789012261, -0.29290694188138067], [-0.21770359314292398, -0.12652006254766182]], dtype=torch.float64), time='level')}, outputs=[torch.tensor([[-0.027680688694929345, -0.20549531408375205], [0.6839925356080332, -0.041814079963552686], [-0.9475962491493496, 0.5441655825858194]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('euler_step_sign', 'the step goes the wrong way: it adds (sigma - sigma_next) d; the step size is sigma_next - sigma, negative when denoising.', (torch.tensor([[0.5306015730685025, -0.3229241390814555], [1.877698066165095, 0.4614145485757115], [-1.1950812434950944, 0.9022146370521196]], dtype=torch.float64),)), ('euler_slope_without_sigma', "the slope is x - D(x; sigma); with sigma(t) = t the ODE's slope is (x - D(x; sigma)) / sigma (Karras et al. Eq. (1) and (3)).", (torch.tensor([[-0.3068218195766453, -0.14678090158490031], [0.08713977032950226, -0.2934283942331848], [-0.8238537519764773, 0.3651410553526692]], dtype=torch.float64),))])), ('karras_euler_step', dict(what='the last step, to sigma_next = 0', inputs={'x': torch.tensor([[0.691168384129572, 1.6432362870023167], [0.6608741523667743, -2.606314463208722], [1.8107117333462355, 0.8927491447280226]], dtype=torch.float64), 'sigma': 0.5, 'sigma_next': 0.0, 'denoiser': TestModel(W=torch.tensor([[-0.21478129414411407, 0.23244724167854125], [0.1458289584744303, 0.1176529986622104]], dtype=torch.float64), b=torch.tensor([0.011368896526318716, 0.2186851946449788], dtype=torch.float64), c=torch.tensor([-0.1472908174003334, -0.032581989598610556], dtype=torch.float64), A=torch.tensor([[-0.19284772507199133, 0.23953848505385103], [0.015888842992663597, -0.11698270038603545]], dtype=torch.float64), time='level')}, outputs=[torch.tensor([[0.42991293073945913, 0.2781261826297965], [-1.4213788261137157, 0.3075224693172296], [-0.3742997180845282, 0.4407814911394077]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('euler_step_sign', 'the step goes the wrong way: it adds (sigma - sigma_next) d; the step size is sigma_next - sigma, negative when denoising.', (torch.tensor([[0.952423837519685, 3.008346391374837], [2.743127130847264, -5.520151395734674], [3.995723184776999, 1.3447167983166375]], dtype=torch.float64),)), ('euler_slope_without_sigma', "the slope is x - D(x; sigma); with sigma(t) = t the ODE's slope is (x - D(x; sigma)) / sigma (Karras et al. Eq. (1) and (3)).", (torch.tensor([[0.5605406574345155, 0.9606812348160566], [-0.3802523368734707, -1.1493959969457461], [0.7182060076308536, 0.6667653179337152]], dtype=torch.float64),))])), ('karras_euler_step', dict(what='levels per sample (B,), one of them going to 0, images', inputs={'x': torch.tensor([[[[0.37810676358706613, -1.0454968829614948], [-0.8261270867837869, -4.882934765279711]]], [[[3.599414765441804, 2.2883317440744575], [-0.6508456737356487, 1.547613173455323]]], [[[0.5624213395952985, -1.1076456728481048], [1.9551349022520714, -0.6211130933183051]]]], dtype=torch.float64), 'sigma': torch.tensor([1.0, 0.8, 0.3], dtype=torch.float64), 'sigma_next': torch.tensor([0.6, 0.5, 0.0], dtype=torch.float64), 'denoiser': TestModel(W=torch.tensor([[-0.13152956162318508, -0.3168587021435593, 0.1819832284963422, -0.03967922068695518], [0.21811548558587268, -0.24287427994825483, 0.05073113884474795, -0.3569096173719162], [0.33658598894805725, 0.0752140347922744, 0.13222840325413046, 0.16420156518810514], [-0.4043030000613338, 0.31327239845763094, 0.8226811273369474, -0.6553770012942102]], dtype=torch.float64), b=torch.tensor([-0.6917645868617927, -0.601932565545728, 0.33658355738159995, 0.051486262989627385], dtype=torch.float64), c=torch.tensor([0.21566848814785963, 0.1444861744614998, 0.04211436247505612, 0.05680762905007417], dtype=torch.float64), A=torch.tensor([[-0.06790419908925417, 0.3473840844846041, -0.45188638471230197, -0.1687435304713265], [0.09717554123949408, 0.7205683433797332, -0.30578564628815974, -0.43162418365477695], [-0.22531487940161515, 0.38770888045526514, -0.09400220275673032, 0.5297388076947829], [-0.7490118070424097, 0.4514092567601912, 0.41394649597181554, -0.567466275920594]], dtype=torch.float64), time='level')}, outputs=[torch.tensor([[[[0.4902288468491074, 0.3975709590928327], [-1.8751811515055328, -1.8709937761752022]]], [[[2.1099252543646605, 1.7461912519095273], [0.3114571619232477, -0.4524840233313687]]], [[[-1.1712934706176195, -0.9204787080910031], [-0.5236248757475197, 1.147399101308449]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('euler_step_sign', 'the step goes the wrong way: it adds (sigma - sigma_next) d; the step size is sigma_next - sigma, negative when denoising.', (torch.tensor([[[[0.26598468032502487, -2.4885647250158223], [0.22292697793795901, -7.89487575438422]]], [[[5.088904276518948, 2.8304722362393875], [-1.613148509394545, 3.5477103702420143]]], [[[2.2961361498082162, -1.2948126376052065], [4.433894680251663, -2.3896252879450595]]]], dtype=torch.float64),)), ('euler_slope_without_sigma', "the slope is x - D(x; sigma); with sigma(t) = t the ODE's slope is (x - D(x; sigma)) / sigma (Karras et al. Eq. (1) and (3)).", (torch.tensor([[[[0.4902288468491074, 0.3975709590928327], [-1.8751811515055328, -1.8709937761752022]]], [[[2.407823156580089, 1.8546193503425132], [0.1189965947914684, -0.05246458397403053]]], [[[0.042306896531423055, -1.0514955834209743], [1.211506968852194, -0.09055943493027885]]]], dtype=torch.float64),))])), ('karras_euler_step', dict(what='float32 data', inputs={'x': torch.tensor([[4.081838130950928, -5.111330032348633], [0.8361976742744446, -1.135539174079895], [-0.9052985906600952, -0.43119433522224426]], dtype=torch.float32), 'sigma': 1.0, 'sigma_next': 0.7, 'denoiser': TestModel(W=torch.tensor([[-0.8079944516589004, -0.0927729510576758], [-0.3460852305099767, 1.3291998066579531]], dtype=torch.float64), b=torch.tensor([0.09031464529116871, -0.14105231773663815], dtype=torch.float64), c=torch.tensor([-0.05625748363027008, -0.13360926922179003], dtype=torch.float64), A=torch.tensor([[-0.42206022048204855, -0.1563203908938619], [0.19277815540271437, -0.09542144262934668]], dtype=torch.float64), time='level')}, outputs=[torch.tensor([[2.282409469903409, -3.4955450835644712], [0.3856723828078363, -1.004669846291011], [-0.29872432166129914, -0.48849178885649425]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('euler_step_sign', 'the step goes the wrong way: it adds (sigma - sigma_next) d; the step size is sigma_next - sigma, negative when denoising.', (torch.tensor([[5.8812665939331055, -6.727115154266357], [1.286723017692566, -1.2664085626602173], [-1.5118728876113892, -0.37389689683914185]], dtype=torch.float32),))])), ('karras_euler_step', dict(what='float32 data, float64 levels per sample (B,), as karras_sigmas gives them', inputs={'x': torch.tensor([[-1.3035823106765747, -0.34943458437919617], [3.3274478912353516, 1.3182954788208008], [-3.28279447555542, -0.01040652859956026]], dtype=torch.float32), 'sigma': torch.tensor([1.0, 0.8, 0.3], dtype=torch.float64), 'sigma_next': torch.tensor([0.7, 0.5, 0.0], dtype=torch.float64), 'denoiser': TestModel(W=torch.tensor([[-0.24938549639535737, 0.05945260930081053], [-0.6432751136745556, 0.09670875075074054]], dtype=torch.float64), b=torch.tensor([0.0941523674949819, 0.6302504125725852], dtype=torch.float64), c=torch.tensor([0.06332900329438042, 0.10210933233952835], dtype=torch.float64), A=torch.tensor([[-0.5972466739856931, 0.9010916498896111], [-0.7662582231833203, 0.4407207423289937]], dtype=torch.float64), time='level')}, outputs=[torch.tensor([[-0.64393602891995, 0.28235004174084577], [1.576723859461127, -0.23756797302107668], [2.6824201082541457, 3.503084704853615]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('euler_step_sign', 'the step goes the wrong way: it adds (sigma - sigma_next) d; the step size is sigma_next - sigma, negative when denoising.', (torch.tensor([[-1.963228702545166, -0.9812191724777222], [5.078171730041504, 2.8741588592529297], [-9.248008728027344, -3.523897647857666]], dtype=torch.float32),)), ('euler_slope_without_sigma', "the slope is x - D(x; sigma); with sigma(t) = t the ODE's slope is (x - D(x; sigma)) / sigma (Karras et al. Eq. (1) and (3)).", (torch.tensor([[-0.6439359784126282, 0.2823500335216522], [1.9268686771392822, 0.07360470294952393], [-1.4932299852371216, 1.0436408519744873]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

