from otter.test_files import test_case

OK_FORMAT = False

name = "classifier_grad"
points = 3

@test_case(points=None, hidden=False)
def test_classifier_grad(classifier_grad):
    """The public cases of classifier_grad: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'classifier_grad': classifier_grad}
    cases = [('classifier_grad', dict(what='points, three classes', inputs={'logits_fn': TestModel(W=torch.tensor([[0.08890469193522228, -0.09341224466100137], [0.4528471989539066, 0.07417558418617765]], dtype=torch.float64), b=torch.tensor([-0.3787754462361687, 0.2556863153700186], dtype=torch.float64), c=torch.tensor([0.09220672745790841, 0.06696873713613737], dtype=torch.float64), V=torch.tensor([[-0.4976159573990385, -0.8947881032357201], [-0.44072159900056246, 0.02922188023561116], [-1.6440450272145313, -0.15470906923379124]], dtype=torch.float64), time='none'), 'x': torch.tensor([[-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454], [0.4116305363741328, 1.0425133694426776]], dtype=torch.float64), 'y': torch.tensor([1, 0, 0], dtype=torch.int64)}, outputs=[torch.tensor([[0.19504700593500524, -0.015366969883910508], [-0.22517356375468994, -0.08179740329751092], [-0.18636973111060817, -0.07776419363484978]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-05, 1e-05), known=[('logit_not_log_softmax', 'this is the gradient of the raw logit of class y; log p(y | x) is the log-softmax of the logits, and its normalising term (the log-sum-exp over all classes) depends on x too.', (torch.tensor([[-0.021345880784592385, 0.036556569972510215], [-0.44304235391318714, -0.026513035768822336], [-0.3495931940981099, -0.012710022780703122]], dtype=torch.float64),)), ('softmax_not_log', 'this is the gradient of the probability p(y | x) (the softmax); guidance needs the gradient of its logarithm, log p(y | x).', (torch.tensor([[0.04721317071840256, -0.003719736014791128], [-0.06448235116688403, -0.023424103593774913], [-0.038790028541163424, -0.016185435653100454]], dtype=torch.float64),)), ('log_softmax_over_batch', 'the softmax normalises over the batch (dim 0) instead of over the classes (the last dim, K).', (torch.tensor([[0.3407375253402675, 0.04184718392217136], [-0.14260281608284073, -0.021299927668408953], [-0.19006809199906657, -0.019365912094207238]], dtype=torch.float64),)), ('grad_of_batch_mean', "each sample's gradient is divided by the batch size: the log-probabilities were averaged over the batch before differentiating; sum them (the samples do not interact, so the sum's gradient is every sample's own).", (torch.tensor([[0.06501566864500175, -0.0051223232946368364], [-0.07505785458489665, -0.027265801099170307], [-0.06212324370353606, -0.02592139787828326]], dtype=torch.float64),))])), ('classifier_grad', dict(what='images (B, C, H, W), four classes', inputs={'logits_fn': TestModel(W=torch.tensor([[0.172792096032393, 0.4108090717505792, 0.16521853809169357, -0.6515786158021805], [0.45267793333655887, 0.22318728618200565, -0.2684766176801426, 0.29055905209817656], [0.18228619809303787, 0.147066248327763, 0.014211120657898394, 0.27335649330622347], [-0.36822704350083346, -0.08145497399652639, -0.24105965633998913, 0.2994231063173138]], dtype=torch.float64), b=torch.tensor([0.019861053740829495, -0.1462283754825443, -0.39095423117842104, -0.12859612030943535], dtype=torch.float64), c=torch.tensor([0.0004071090259171754, -0.013780145264968522, 0.06470319071991036, 0.05033621576528972], dtype=torch.float64), V=torch.tensor([[-1.3555812394829843, -0.9445066229838364, -0.08738604602758097, -0.21109520578817678], [0.10682149874930555, 0.10866096551128179, 1.0589193775255241, -0.5560103813461407], [-0.18880250356349904, 1.0213858037461652, 0.32335149810092345, 0.33153168618813084], [-0.25700318584373144, -0.8240375854278263, 0.08373237211137056, 0.05450704391077377]], dtype=torch.float64), time='none'), 'x': torch.tensor([[[[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]]], [[[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 'y': torch.tensor([2, 3], dtype=torch.int64)}, outputs=[torch.tensor([[[[0.21398698090177867, 0.31188547327261973], [-0.17669321745106248, 0.0017434037779744949]]], [[[-0.23951420488054692, -0.04991176345026093], [0.10630113399074403, -0.24301831501039786]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-05, 1e-05), known=[('logit_not_log_softmax', 'this is the gradient of the raw logit of class y; log p(y | x) is the log-softmax of the logits, and its normalising term (the log-sum-exp over all classes) depends on x too.', (torch.tensor([[[[0.03671227478948261, -0.0015032876018903907], [-0.20457210697793374, 0.3625173812702207]]], [[[-0.38177349358441875, -0.2522626333938044], [0.1509729653814209, -0.03731302569860624]]]], dtype=torch.float64),)), ('softmax_not_log', 'this is the gradient of the probability p(y | x) (the softmax); guidance needs the gradient of its logarithm, log p(y | x).', (torch.tensor([[[[0.01706649345009427, 0.024874370227364023], [-0.014092136005642283, 0.00013904485699217303]]], [[[-0.08244410694437503, -0.01718032033101294], [0.03659032274687869, -0.0836502701881558]]]], dtype=torch.float64),)), ('log_softmax_over_batch', 'the softmax normalises over the batch (dim 0) instead of over the classes (the last dim, K).', (torch.tensor([[[[0.13787857708627382, 0.1020056923158958], [-0.1381648828018408, 0.15368760247718077]]], [[[-0.42641507283798946, -0.24446447988420358], [0.3009020617958269, -0.3453378205925444]]]], dtype=torch.float64),)), ('grad_of_batch_mean', "each sample's gradient is divided by the batch size: the log-probabilities were averaged over the batch before differentiating; sum them (the samples do not interact, so the sum's gradient is every sample's own).", (torch.tensor([[[[0.10699349045088934, 0.15594273663630986], [-0.08834660872553124, 0.0008717018889872474]]], [[[-0.11975710244027346, -0.024955881725130465], [0.05315056699537202, -0.12150915750519893]]]], dtype=torch.float64),))])), ('classifier_grad', dict(what='float32 data: a float32 gradient', inputs={'logits_fn': TestModel(W=torch.tensor([[0.1336809282724566, -0.3696389678257356], [-0.2920800325933515, -1.7263781423104132]], dtype=torch.float64), b=torch.tensor([1.2725852944734428, 0.809047446919744], dtype=torch.float64), c=torch.tensor([-0.023010869470220224, 0.05471638848019457], dtype=torch.float64), V=torch.tensor([[0.1988459715559288, -0.3916118832114155], [0.6912445737584687, -0.2195966400845632]], dtype=torch.float64), time='none'), 'x': torch.tensor([[-0.32882389426231384, -0.7921467423439026], [0.45495808124542236, -0.09919805079698563], [0.5452887415885925, -0.6071857213973999]], dtype=torch.float32), 'y': torch.tensor([0, 0, 0], dtype=torch.int64)}, outputs=[torch.tensor([[-0.006072291593491622, 0.028558881131289376], [0.007195844176342144, 0.12509251527543547], [-0.0027026558037435327, 0.04294096796306726]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('logit_not_log_softmax', 'this is the gradient of the raw logit of class y; log p(y | x) is the log-softmax of the logits, and its normalising term (the log-sum-exp over all classes) depends on x too.', (torch.tensor([[0.009376500733196735, 0.015336504206061363], [0.06602657586336136, 0.33770787715911865], [0.018581006675958633, 0.07313726842403412]], dtype=torch.float32),)), ('softmax_not_log', 'this is the gradient of the probability p(y | x) (the softmax); guidance needs the gradient of its logarithm, log p(y | x).', (torch.tensor([[-0.002129550324752927, 0.010015591979026794], [0.002630503848195076, 0.04572867602109909], [-0.0009500180603936315, 0.015094288624823093]], dtype=torch.float32),)), ('log_softmax_over_batch', 'the softmax normalises over the batch (dim 0) instead of over the classes (the last dim, K).', (torch.tensor([[0.0003956897126045078, 0.0006472026580013335], [-0.004374594893306494, -0.02237485721707344], [0.0004469645500648767, 0.001759310602210462]], dtype=torch.float32),)), ('grad_of_batch_mean', "each sample's gradient is divided by the batch size: the log-probabilities were averaged over the batch before differentiating; sum them (the samples do not interact, so the sum's gradient is every sample's own).", (torch.tensor([[-0.0020240971352905035, 0.00951963011175394], [0.0023986150044947863, 0.04169750586152077], [-0.0009008860215544701, 0.014313657768070698]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

