from otter.test_files import test_case

OK_FORMAT = False

name = "ddpm_sample"
points = 3

@test_case(points=None, hidden=False)
def test_ddpm_sample(ddpm_sample, ddpm_step, predict_x0_from_eps, q_posterior_mean_variance):
    """The public cases of ddpm_sample: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'ddpm_sample': ddpm_sample, 'ddpm_step': ddpm_step, 'predict_x0_from_eps': predict_x0_from_eps, 'q_posterior_mean_variance': q_posterior_mean_variance}
    cases = [('ddpm_sample', dict(what="4 steps, variance = 'small'", inputs={'eps_model': TestModel(W=torch.tensor([[-0.17983422783569522, 0.6018375507438554], [0.6984340598090469, 0.15861796379227702]], dtype=torch.float64), b=torch.tensor([0.20706709601788842, -0.2447749017526117], dtype=torch.float64), c=torch.tensor([-0.22853017620772237, -0.22509015725774703], dtype=torch.float64), A=torch.tensor([[-0.4992156339942672, 0.46460241204697866], [-0.02814595834046589, 0.06413954748669995]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'beta': torch.tensor([0.05, 0.13333333333333333, 0.21666666666666667, 0.3], dtype=torch.float64), 'noise': torch.tensor([[[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], [[-2.3250307746388343, -0.21879166393254573], [-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454]], [[0.4116305363741328, 1.0425133694426776], [-0.12853466294403426, 1.3664634705496859], [-0.6651946734866135, 0.3515100700930197]], [[0.9034701816518086, 0.09401229776087457], [-0.7434992493538084, -0.9217253762584194], [-0.45772582566733916, 0.2201951234700494]]], dtype=torch.float64), 'variance': 'small'}, outputs=[torch.tensor([[1.1353223233511918, 0.34122364031405183], [1.3107523073280911, 0.07456976725304669], [-3.778517794776978, 1.9959557077361962]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sample_forward_order', 'the steps run from t = 0 up; Algorithm 2 goes backwards, t = T-1 down to 0.', (torch.tensor([[0.1731686856553693, 1.0978521304508848], [1.146710638114338, 0.2375413972014756], [-3.8835760394724654, 1.9658791365032018]], dtype=torch.float64),)), ('sample_model_at_x_T', 'the model is always called on x_T; at each step it predicts the noise of the current x_t.', (torch.tensor([[1.058873710736553, 1.052052599146926], [1.1092637070347313, 0.3300770500174712], [-2.249119261186445, 1.8630739831745005]], dtype=torch.float64),)), ('sample_noise_reversed', 'noise[T-1-t] is used at index t; the step at index t uses noise[t] (noise[0] is never used).', (torch.tensor([[0.4709343970920385, 0.7375238078313128], [1.5791317407444534, -0.3219444208883518], [-3.748949442223629, 1.8118031137123154]], dtype=torch.float64),))])), ('ddpm_sample', dict(what="4 steps, variance = 'large'", inputs={'eps_model': TestModel(W=torch.tensor([[0.17938670400195708, 0.7553386540717286], [-0.8931656186555911, 0.843306754332876]], dtype=torch.float64), b=torch.tensor([-0.023658606078068783, -0.3999892921875766], dtype=torch.float64), c=torch.tensor([-0.2007391795975905, -0.27070412914564773], dtype=torch.float64), A=torch.tensor([[-0.11182267920372539, 0.4169420897760787], [0.29203186582148516, 0.31914301212809143]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 'beta': torch.tensor([0.05, 0.13333333333333333, 0.21666666666666667, 0.3], dtype=torch.float64), 'noise': torch.tensor([[[-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]], [[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276], [0.03972210748165899, -0.2924567509650886]], [[-0.7819084623568421, -0.2571922406188707], [0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]], [[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356], [0.2136429974986111, 0.21732193102256359]]], dtype=torch.float64), 'variance': 'large'}, outputs=[torch.tensor([[-1.9281151801155985, -0.15923372704598246], [2.2764449473737005, -0.4625607761696479], [1.1178168008685307, 1.4051246326909759]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sample_forward_order', 'the steps run from t = 0 up; Algorithm 2 goes backwards, t = T-1 down to 0.', (torch.tensor([[-2.6027854875222673, -0.2962373150051264], [2.0312094619042154, -0.32939617393615134], [1.2486700052730748, 1.6829996005185546]], dtype=torch.float64),)), ('sample_drops_variance', '`variance` is not passed on to ddpm_step, so "large" samples with the small variance.', (torch.tensor([[-1.5782003865287413, 0.058061221362311254], [2.3488147368225327, -0.49093240479686623], [0.9403032851807529, 1.3130514226214218]], dtype=torch.float64),)), ('sample_model_at_x_T', 'the model is always called on x_T; at each step it predicts the noise of the current x_t.', (torch.tensor([[-2.9391436211072524, -0.11239099505902769], [2.5468586625957195, -0.026076520153425556], [1.8797644862522014, 1.948683951772416]], dtype=torch.float64),)), ('sample_noise_reversed', 'noise[T-1-t] is used at index t; the step at index t uses noise[t] (noise[0] is never used).', (torch.tensor([[-1.8871870925999215, 0.7676858670236115], [2.051908876251578, -0.0625081945532284], [0.8286378536302513, 1.4123528559673593]], dtype=torch.float64),))])), ('ddpm_sample', dict(what='images (B, C, H, W), 3 steps', inputs={'eps_model': TestModel(W=torch.tensor([[-0.6988092123520215, -0.602004745047768, -0.6511345030281559, -0.3113426835219442], [0.7236400576968194, -0.8006569458077236, 0.47198473213345576, 0.631235957857981], [-0.17773031285552576, -0.35046804333790366, 0.23605731034539873, 0.6072788326022045], [1.0777656392006463, 0.44590574638282476, 0.7969213328726243, -0.22514578350260164]], dtype=torch.float64), b=torch.tensor([-0.43710849186051215, -0.8598866269580244, -0.5768512933729972, -0.18171685825802408], dtype=torch.float64), c=torch.tensor([0.06433157402805156, -0.43770019204084837, 0.2720286213102704, -0.03434964652191994], dtype=torch.float64), A=torch.tensor([[-0.32110053756508605, -0.3826443707918486, 1.010344136441504, 0.08461417464386109], [-0.4489632696314558, -0.4769911495203089, 0.9189122152333701, -0.28917544827165004], [0.5943520459328411, 0.711636940586615, -1.1622006781729035, 0.6754874467481509], [-0.10421606618886071, -0.5420642941341849, -0.27192122399629864, 0.28044788453368824]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[[[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556]]], [[[1.799707382720902, 1.1441658720372287], [-0.32542283686782436, 0.7738065867276614]]]], dtype=torch.float64), 'beta': torch.tensor([0.05, 0.175, 0.3], dtype=torch.float64), 'noise': torch.tensor([[[[[0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]]], [[[-0.3288239040579627, -0.7921467553588982], [0.45495807124085547, -0.09919805171738795]]]], [[[[0.5452887139646817, -0.6071856998706371], [0.12682784711186987, -0.8922740434297903]]], [[[0.8414649723701431, 0.18803508698068597], [0.33057100813532614, 0.41050391297026284]]]], [[[[-1.0107575001533344, 0.7831809961440773], [2.0567028183423686, -1.6384425032355252]]], [[[-1.7294114671544816, -1.50483141386432], [0.8414588934539998, 0.12871565747406846]]]]], dtype=torch.float64), 'variance': 'small'}, outputs=[torch.tensor([[[[-1.5475109791751072, -1.8742789061619238], [6.005942627648084, -3.6576171878954105]]], [[[6.64357021040148, 6.425258533425231], [-5.485258598797161, 1.053480455001961]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sample_forward_order', 'the steps run from t = 0 up; Algorithm 2 goes backwards, t = T-1 down to 0.', (torch.tensor([[[[-0.9683656495688868, -1.109290785292134], [4.93535741080355, -3.9898646436490264]]], [[[7.234764442333637, 6.834113367372974], [-5.8609893937538695, 1.1490588075670736]]]], dtype=torch.float64),)), ('sample_model_at_x_T', 'the model is always called on x_T; at each step it predicts the noise of the current x_t.', (torch.tensor([[[[-0.3288278635421672, 0.12733828662048155], [3.3079825390449473, -3.7497129775709053]]], [[[4.704623296326258, 4.014009885572991], [-2.901033842849688, 0.6270003305669631]]]], dtype=torch.float64),)), ('sample_noise_reversed', 'noise[T-1-t] is used at index t; the step at index t uses noise[t] (noise[0] is never used).', (torch.tensor([[[[-0.7171790648269728, -2.102733219737345], [4.917221907159891, -3.3785770785645086]]], [[[7.61960380640275, 7.144033105445303], [-6.18231146921234, 1.0860233078647683]]]], dtype=torch.float64),))])), ('ddpm_sample', dict(what="float32 data, 3 steps, variance = 'large'", inputs={'eps_model': TestModel(W=torch.tensor([[0.2766302944443694, 0.10880030460973694], [-0.028994993933263092, -1.1594680473607828]], dtype=torch.float64), b=torch.tensor([0.21574708385442526, -1.063139892225441], dtype=torch.float64), c=torch.tensor([0.30330707234087806, 0.2019885243354712], dtype=torch.float64), A=torch.tensor([[0.41502832428920794, 0.4138491718576939], [0.1492572349166107, -0.26750070686696364]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[2.040919065475464, -2.5556650161743164], [0.4180988371372223, -0.5677695870399475], [-0.4526492953300476, -0.21559716761112213]], dtype=torch.float32), 'beta': torch.tensor([0.05, 0.175, 0.3], dtype=torch.float64), 'noise': torch.tensor([[[-2.019986152648926, -0.2319323718547821], [-0.8652130961418152, 3.3229994773864746], [0.22578661143779755, -0.3526307940483093]], [[-0.28128743171691895, -0.6680463552474976], [-1.0551505088806152, -0.39080098271369934], [0.4819453954696655, -0.23855361342430115]], [[0.9577587246894836, -0.19980213046073914], [0.02425956539809704, 1.5458208322525024], [0.545105516910553, -0.5052287578582764]]], dtype=torch.float32), 'variance': 'large'}, outputs=[torch.tensor([[3.0887673617014815, -6.808710220132587], [-0.514730527748092, 0.4353293780508175], [-0.24698083253860387, -0.16606708319592917]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('sample_forward_order', 'the steps run from t = 0 up; Algorithm 2 goes backwards, t = T-1 down to 0.', (torch.tensor([[3.128385543823242, -6.868964195251465], [-0.33980634808540344, -0.24174273014068604], [-0.3846590220928192, 0.25054964423179626]], dtype=torch.float32),)), ('sample_drops_variance', '`variance` is not passed on to ddpm_step, so "large" samples with the small variance.', (torch.tensor([[2.9916229248046875, -6.592772960662842], [-0.23625217378139496, 0.06921315938234329], [-0.44241002202033997, 0.07583390921354294]], dtype=torch.float32),)), ('sample_model_at_x_T', 'the model is always called on x_T; at each step it predicts the noise of the current x_t.', (torch.tensor([[2.617558717727661, -6.321957111358643], [-0.5012468099594116, -0.05902964621782303], [-0.23872001469135284, -0.08654361218214035]], dtype=torch.float32),)), ('sample_noise_reversed', 'noise[T-1-t] is used at index t; the step at index t uses noise[t] (noise[0] is never used).', (torch.tensor([[1.8844265937805176, -6.675211429595947], [-1.201026439666748, 1.9078761339187622], [-0.4048595130443573, 0.014001088216900826]], dtype=torch.float32),))]))]
    depends = [('ddpm_step', dict(what="variance = 'small', with t = 0 (no noise there)", inputs={'x_t': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'eps_pred': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64), 'noise': torch.tensor([[-2.3250307746388343, -0.21879166393254573], [-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454]], dtype=torch.float64), 'variance': 'small'}, outputs=[torch.tensor([[-0.1701616422760744, -0.3528120041331778], [0.5621605487475716, 0.3010409277321463], [-0.6407014929314234, 0.2583259480396236]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddpm_step', dict(what="variance = 'large', with t = 0 (no noise there)", inputs={'x_t': torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 't': torch.tensor([4, 0, 1], dtype=torch.int64), 'eps_pred': torch.tensor([[-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]], dtype=torch.float64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64), 'noise': torch.tensor([[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276], [0.03972210748165899, -0.2924567509650886]], dtype=torch.float64), 'variance': 'large'}, outputs=[torch.tensor([[0.23722674063450833, 0.6438832088416765], [0.25538264307049, -1.4044897315647007], [0.9590223149760361, 0.226697026685403]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddpm_step', dict(what="images (B, C, H, W), variance = 'small'", inputs={'x_t': torch.tensor([[[[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556]], [[1.799707382720902, 1.1441658720372287], [-0.32542283686782436, 0.7738065867276614]], [[0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]]], [[[-0.3288239040579627, -0.7921467553588982], [0.45495807124085547, -0.09919805171738795]], [[0.5452887139646817, -0.6071856998706371], [0.12682784711186987, -0.8922740434297903]], [[0.8414649723701431, 0.18803508698068597], [0.33057100813532614, 0.41050391297026284]]]], dtype=torch.float64), 't': torch.tensor([3, 1], dtype=torch.int64), 'eps_pred': torch.tensor([[[[-1.0107575001533344, 0.7831809961440773], [2.0567028183423686, -1.6384425032355252]], [[-1.7294114671544816, -1.50483141386432], [0.8414588934539998, 0.12871565747406846]], [[1.078342440739298, 0.722430872307499], [0.21057181237528058, 0.28403814525037085]]], [[[-0.16976049772313542, 0.8684602112115102], [-1.1297159617807548, -0.4218588261783162]], [[0.2429388530987352, 1.8014208584493328], [-0.7644641157203993, -1.0790604591369424]], [[-0.5632871985040379, 0.9692722011381628], [-0.23500550689182578, 1.324347019236957]]]], dtype=torch.float64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64), 'noise': torch.tensor([[[[-1.872529517606024, 1.128523141900478], [1.0348662399295387, -1.4186656898014849]], [[0.15358188653595775, 1.2157576351945363], [0.08791904230952238, 0.99970142215178]], [[2.3748869133171437, 0.2739322545923299], [-0.2803823139429379, -0.7710521598195307]]], [[[0.6480646015444852, -0.19673006635772372], [-0.17874637079406783, -0.1052597784150319]], [[0.6498696525854939, -1.0663396121649127], [-1.5298764906705564, -2.4338766971489387]], [[1.1986708993900783, 0.07379335958326627], [1.5101194131223459, -0.00895629811039896]]]], dtype=torch.float64), 'variance': 'small'}, outputs=[torch.tensor([[[[-0.11589249622553122, -0.4473639029278869], [-0.7987137958530011, -2.67597897115197]], [[2.6653273192339784, 2.2385810872246203], [-0.6228826290840086, 1.1818717430867056]], [[0.7998189315337161, -0.7698935726050478], [0.918869518019722, -0.7239777844191279]]], [[[-0.17927544665414402, -1.1119335021304624], [0.7591015610419326, -0.007331948940216222]], [[0.6282126256430137, -1.336710418345626], [0.0612149879687337, -1.0937953357196162]], [[1.265497744989456, -0.05640278234938245], [0.6939283901097226, 0.06444252930808632]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddpm_step', dict(what="float32 data, variance = 'large'", inputs={'x_t': torch.tensor([[2.040919065475464, -2.5556650161743164], [0.4180988371372223, -0.5677695870399475], [-0.4526492953300476, -0.21559716761112213]], dtype=torch.float32), 't': torch.tensor([5, 2, 0], dtype=torch.int64), 'eps_pred': torch.tensor([[-2.019986152648926, -0.2319323718547821], [-0.8652130961418152, 3.3229994773864746], [0.22578661143779755, -0.3526307940483093]], dtype=torch.float32), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64), 'noise': torch.tensor([[-0.28128743171691895, -0.6680463552474976], [-1.0551505088806152, -0.39080098271369934], [0.4819453954696655, -0.23855361342430115]], dtype=torch.float32), 'variance': 'large'}, outputs=[torch.tensor([[3.154261137640934, -3.320734632213804], [0.31412665898993924, -1.8014545227236964], [-0.5162073792563778, -0.1402989743379339]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[])), ('predict_x0_from_eps', dict(what='points at t = 0, 2, 5', inputs={'x_t': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'eps': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[-0.17016164227607453, -0.3528120041331781], [1.1827481042751944, 0.8989809142656161], [-0.02923925319823352, 0.5921451202620734]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('predict_x0_from_eps', dict(what='images (B, C, H, W)', inputs={'x_t': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]], [[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]], [[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]], [[0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707]], [[0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]]]], dtype=torch.float64), 't': torch.tensor([3, 5], dtype=torch.int64), 'eps': torch.tensor([[[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356]], [[0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813]], [[-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753]], [[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]], [[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[[[2.75370327204847, 2.680403357951376], [0.5816600498683913, -1.3508308300936427]], [[1.0060779757455713, 0.4010104104956073], [-2.5012333519187884, 1.7056980903598156]], [[0.7985357143204389, -1.3475830142584575], [-0.5114651743511037, 0.15438193986619336]]], [[[-0.5575155048225306, 2.191574873021352], [-1.1252979407366106, 0.9194531347057706]], [[1.923599117520336, 0.5014295668112331], [-1.3065761713735389, 0.959820675609527]], [[0.1629970197604998, -0.6429010334914104], [2.2885896567014754, 2.586029191477738]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('predict_x0_from_eps', dict(what='float32 data', inputs={'x_t': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 't': torch.tensor([1, 4, 2], dtype=torch.int64), 'eps': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[0.33847035109837653, -0.8840042583194065], [-0.9453348842474765, -3.0674540955323657], [1.5116785916828448, 1.5325627175402055]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[])), ('q_posterior_mean_variance', dict(what='points at t = 0 (the point mass at x0), 2 and 5', inputs={'x0': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'x_t': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[0.12573022109339319, -0.13210486329130178], [-0.019218782339245122, -0.5658417693998747], [-0.5760216071163988, 0.13116926185959524]], dtype=torch.float64), torch.tensor([[0.0], [0.0795974382433669], [0.24351399394039708]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), broadcast=(1,), known=[])), ('q_posterior_mean_variance', dict(what='images (B, C, H, W)', inputs={'x0': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]], [[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]], [[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]], [[0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707]], [[0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]]]], dtype=torch.float64), 'x_t': torch.tensor([[[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356]], [[0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813]], [[-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753]], [[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]], [[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 't': torch.tensor([3, 1], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[[[-1.4421698619332426, -0.7682602928709044], [0.032547993796316566, -0.7772853097025294]], [[0.4934957871848683, 0.3086968511471917], [1.0178078868180045, -0.41256603778663437]], [[-0.07197367298443993, 1.3124876043248264], [0.3891582075679864, 0.6098144534194097]]], [[[-0.663187091721138, -0.6486452898223681], [-0.26929398352209083, 0.4382020759006913]], [[-0.3748054317850314, -0.42009271865364584], [-0.5491609763789341, -0.4819414003042848]], [[-0.02667415358456506, -0.15402269460323964], [0.8815016697705786, 0.5110884594674999]]]], dtype=torch.float64), torch.tensor([[[[0.13055422838031533]]], [[[0.03448275862068968]]]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), broadcast=(1,), known=[])), ('q_posterior_mean_variance', dict(what='float32 data', inputs={'x0': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 'x_t': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 't': torch.tensor([4, 0, 1], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[-0.14528521885174772, 0.3207209866045204], [-0.4130635559558865, -2.4414672851562482], [1.5295439669552886, 0.6675069209780122]], dtype=torch.float64), torch.tensor([[0.18556609628513165], [0.0], [0.03448275862068968]], dtype=torch.float64)], dtypes=['float32', 'float32'], tol=(0.0001, 1e-05), broadcast=(1,), known=[]))]
    run_cases(functions, cases, depends)

