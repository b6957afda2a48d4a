from otter.test_files import test_case

OK_FORMAT = False

name = "pnp_admm"
points = 2.5

@test_case(points=None, hidden=False)
def test_pnp_admm(pnp_admm_step_matrix, data_prox_matrix):
    """The public cases of pnp_admm: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'pnp_admm_step_matrix': pnp_admm_step_matrix, 'data_prox_matrix': data_prox_matrix}
    cases = [('pnp_admm_step_matrix', dict(what='3 measurements of 4 unknowns, lam = 1, rho = 4', inputs={'z': torch.tensor([[-0.7888857146182155, -0.28956707146595884, -0.4180264134303949, 0.6640427919413966], [0.6750737339969733, -0.626062979772773, -0.8951899644949415, 0.35563924162882843]], dtype=torch.float64), 'u': torch.tensor([[0.19401089886055406, 0.19891901171287849, -0.15420191150623885, -0.49442255125669576], [0.05023942326682234, 0.032704226346464256, -0.3682056162733722, -0.20496799853416867]], dtype=torch.float64), 'y': torch.tensor([[-0.6615861100167054, -0.1489788645933131, 0.38686221885475636], [0.22713226547654342, -0.7254454450729044, -0.6838906635029195]], dtype=torch.float64), 'H': torch.tensor([[0.172792096032393, 0.4108090717505792, 0.16521853809169357, -0.6515786158021805], [0.45267793333655887, 0.22318728618200565, -0.2684766176801426, 0.29055905209817656], [0.18228619809303787, 0.147066248327763, 0.014211120657898394, 0.27335649330622347]], dtype=torch.float64), 'sigma_y': 0.5, 'lam': 1.0, 'rho': 4.0, 'denoiser': TestModel(W=torch.tensor([[-0.6243744451672077, -0.15694973598342388, 0.027051139385771944, 0.13639566958222687], [-0.49109406247048887, -0.5536865235825965, 0.09979226642354042, -0.23337480843990102], [0.11775280586511261, 0.3797597612391896, -0.8243936831754742, 0.12719405825880864], [0.6123234837678662, -0.1487634221852366, -0.40540729161878497, 0.3761219135897964]], dtype=torch.float64), b=torch.tensor([0.07603395486244244, 0.2687649212332681, -0.1035647130153839, -0.44454548211666334], dtype=torch.float64), c=torch.tensor([-0.05500538235562549, -0.2229140765056161, 0.38766191102378705, 0.0968164241885769], dtype=torch.float64), A=torch.tensor([[0.5891934480409159, -0.1417127434591166, -0.01474049517783259, 0.01432245412041815], [0.005337935558322857, 0.5240562512528528, 0.08906221076787342, 0.13367504314234926], [0.048127245684984554, -0.12273453410854605, 0.7097478425678161, -0.07521600277005784], [0.13187409274319778, -0.16076811253161663, 0.13717008046931717, 0.5969904818076779]], dtype=torch.float64), time='level')}, outputs=[torch.tensor([[-0.883074310232673, -0.31620971875069187, -0.198014203686898, 1.0262765835545595], [0.2664922372592048, -0.7221701046719128, -0.2660063906934757, -0.10686392083356869]], dtype=torch.float64), torch.tensor([[0.1315563911402018, 0.3557065012041074, 0.003098682124882568, -0.2310923183762456], [0.18883869523735394, -0.08385730184090018, 0.00859567124104793, -0.08036479072809624]], dtype=torch.float64), torch.tensor([[-0.8206198025123208, -0.4729972082419208, -0.35531479731801946, 0.7629463506741094], [0.1278929652886732, -0.6056085764845482, -0.642807678207896, -0.2314671286396411]], dtype=torch.float64)], dtypes=['float64', 'float64', 'float64'], tol=(1e-06, 1e-08), known=[('dual_update_sign', 'the dual update has the wrong sign: the scaled dual variable accumulates the constraint residual x - z_next, u_next = u + x - z_next, as in the iteration above Question 15.', (torch.tensor([[-0.883074310232673, -0.31620971875069187, -0.198014203686898, 1.0262765835545595], [0.2664922372592048, -0.7221701046719128, -0.2660063906934757, -0.10686392083356869]], dtype=torch.float64), torch.tensor([[0.1315563911402018, 0.3557065012041074, 0.003098682124882568, -0.2310923183762456], [0.18883869523735394, -0.08385730184090018, 0.00859567124104793, -0.08036479072809624]], dtype=torch.float64), torch.tensor([[1.2086416002334288, 0.8708352316676777, 0.046910974305541725, -1.751791453187501], [-0.0274141187550285, 0.6710170291774769, -0.0936035543388486, -0.17846886842869622]], dtype=torch.float64))), ('denoiser_level_is_variance', 'the denoiser is called at lam / rho, a variance; it takes the noise standard deviation sqrt(lam / rho).', (torch.tensor([[-0.883074310232673, -0.31620971875069187, -0.198014203686898, 1.0262765835545595], [0.2664922372592048, -0.7221701046719128, -0.2660063906934757, -0.10686392083356869]], dtype=torch.float64), torch.tensor([[0.1416859557258473, 0.40230219965326924, -0.08682798899589703, -0.25065030747371947], [0.20246947243971566, -0.03694744883651935, -0.08002032421320221, -0.10454862048570028]], dtype=torch.float64), torch.tensor([[-0.8307493670979663, -0.5195929066910826, -0.26538812619723984, 0.7825043397715832], [0.11426218808631147, -0.6525184294889291, -0.5541916827536457, -0.20728329888203706]], dtype=torch.float64)))])), ('pnp_admm_step_matrix', dict(what='inpainting, lam = 0.5, rho = 2', inputs={'z': torch.tensor([[-0.27657612201963677, -2.471226798155072, 1.9632939969103065, 0.9620101620760376], [-0.2873744827342634, 0.5061243736987244, 0.5336501615086922, -0.4974123103298466]], dtype=torch.float64), 'u': torch.tensor([[0.09917130244059784, 0.12315117389107885, -0.3032272500460003, 0.2349542988432232], [0.6170108455027106, -0.4915327509706575, -0.5188234401463444, -0.45144942415929595]], dtype=torch.float64), 'y': torch.tensor([[2.092977618058713, 1.050998908039483], [0.18256349858026044, -0.7914668630317219]], dtype=torch.float64), 'H': torch.tensor([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), 'sigma_y': 0.2, 'lam': 0.5, 'rho': 2.0, 'denoiser': TestModel(W=torch.tensor([[-0.11750275344591289, 0.6621735096184785, -0.936264758803012, 0.564261570950239], [0.5174331199647694, -0.7093328449007424, 0.07679094326797888, 0.6078788175972681], [0.04395952115476119, 0.49985071107589, 1.1874434566585719, 0.13696612729616495], [-0.14019115697146894, -0.38552607990976534, 0.3240323007722426, -0.09836503317886186]], dtype=torch.float64), b=torch.tensor([-0.05362391123822035, -0.03157793352450957, 0.19496089577564815, -0.3199018836494738], dtype=torch.float64), c=torch.tensor([-0.7649382453352782, -1.2169383485744694, 0.5993354496950392, 0.036896679791633136], dtype=torch.float64), A=torch.tensor([[0.7262188340181, 0.01930734862111027, 0.16175136611089472, 0.10836463084612485], [0.031585771856292084, 0.6426057217875556, -0.025464074658470313, 0.13026903168172652], [-0.16945739426711323, -0.06327882392674743, 0.6364408279648103, 0.2702131287673999], [-0.11466961735805989, -0.16185906887054136, -0.08449307977560568, 0.7453908301707244]], dtype=torch.float64), time='level')}, outputs=[torch.tensor([[-0.3757474244602346, -2.594377972046151, 2.105832701680757, 1.0270031269426927], [-0.904385328236974, 0.997657124669382, 0.2470012839932068, -0.7362443462271907]], dtype=torch.float64), torch.tensor([[-0.8154486465856261, -0.5241952796231627, 2.6070050584292153, 2.037807296551149], [-0.8201244401417547, -0.787062184854952, -0.2327767477817041, -1.3145616878963342]], dtype=torch.float64), torch.tensor([[0.5388725245659893, -1.9470315185319094, -0.8043996067944585, -0.775849870765233], [0.5327499574074912, 1.2931865585536766, -0.0390454083714335, 0.1268679175098475]], dtype=torch.float64)], dtypes=['float64', 'float64', 'float64'], tol=(1e-06, 1e-08), known=[('dual_update_sign', 'the dual update has the wrong sign: the scaled dual variable accumulates the constraint residual x - z_next, u_next = u + x - z_next, as in the iteration above Question 15.', (torch.tensor([[-0.3757474244602346, -2.594377972046151, 2.105832701680757, 1.0270031269426927], [-0.904385328236974, 0.997657124669382, 0.2470012839932068, -0.7362443462271907]], dtype=torch.float64), torch.tensor([[-0.8154486465856261, -0.5241952796231627, 2.6070050584292153, 2.037807296551149], [-0.8201244401417547, -0.787062184854952, -0.2327767477817041, -1.3145616878963342]], dtype=torch.float64), torch.tensor([[-0.3405299196847936, 2.193333866314067, 0.1979451067024578, 1.2457584684516794], [0.7012717335979299, -2.2762520604949916, -0.9986014719212554, -1.0297667658284395]], dtype=torch.float64))), ('denoiser_level_is_variance', 'the denoiser is called at lam / rho, a variance; it takes the noise standard deviation sqrt(lam / rho).', (torch.tensor([[-0.3757474244602346, -2.594377972046151, 2.105832701680757, 1.0270031269426927], [-0.904385328236974, 0.997657124669382, 0.2470012839932068, -0.7362443462271907]], dtype=torch.float64), torch.tensor([[-0.8132231784588924, -0.5035252565025014, 2.579142331498935, 2.034728454012793], [-0.6552229776213356, -0.751227072810059, -0.3778861539719013, -1.3222569555308068]], dtype=torch.float64), torch.tensor([[0.5366470564392556, -1.9677015416525707, -0.7765368798641783, -0.7727710282268772], [0.36784849488707216, 1.2573514465087834, 0.10606399781876369, 0.13456318514432009]], dtype=torch.float64)))])), ('pnp_admm_step_matrix', dict(what='float32 inputs', inputs={'z': torch.tensor([[3.78674578666687, 0.3893182873725891, -0.5041994452476501], [-0.33613914251327515, -0.505888819694519, -0.4746240973472595]], dtype=torch.float32), 'u': torch.tensor([[-0.08088609576225281, -0.07306760549545288, 0.300694078207016], [-0.2659379839897156, -0.08751606941223145, 0.26476168632507324]], dtype=torch.float32), 'y': torch.tensor([[3.380061149597168, -0.959814727306366, -3.8010637760162354], [0.6868889927864075, 0.3381912112236023, 0.9518623352050781]], dtype=torch.float32), 'H': torch.tensor([[1.1783251762390137, -1.4755139350891113, 0.24138948321342468], [-0.3278019428253174, -0.26133719086647034, -0.12447507679462433], [-1.1662395000457764, -0.13390621542930603, -0.49953100085258484]], dtype=torch.float32), 'sigma_y': 0.5, 'lam': 1.0, 'rho': 1.0, 'denoiser': TestModel(W=torch.tensor([[-0.22238372784139204, -0.5382029200504038, 0.013062416767016811], [-0.026373654121439636, 0.7027990830090463, 0.3737039937396752], [0.09690782313231, 0.5558166026119961, -0.10276152495289624]], dtype=torch.float64), b=torch.tensor([-0.27776987209451043, 0.17521749330757438, 0.17476152559670702], dtype=torch.float64), c=torch.tensor([-0.1074144555634279, -0.3914042889819831, 0.11457695260663127], dtype=torch.float64), A=torch.tensor([[0.7005195714216057, 0.01585115798262394, 0.11606547889360892], [-0.48985208075045983, 0.7768955298026613, -0.1662153481204933], [-0.2890134345997725, 0.04788181010273391, 0.7213379334407657]], dtype=torch.float64), time='level')}, outputs=[torch.tensor([[3.5765225940326735, 0.40297926013485147, -0.8903478428328178], [-0.2515223567092127, -0.7707266605747888, -0.8829177055988494]], dtype=torch.float64), torch.tensor([[1.5120153603541888, -1.646477586427863, -0.717410989530544], [-0.2661569031873813, -1.0871280400872068, -0.5100067645391047]], dtype=torch.float64), torch.tensor([[1.9836211379162318, 1.9763892410672614, 0.12775722490474228], [-0.25130343751154693, 0.22888531010018653, -0.10814925473467152]], dtype=torch.float64)], dtypes=['float32', 'float32', 'float32'], tol=(0.0001, 1e-05), known=[('dual_update_sign', 'the dual update has the wrong sign: the scaled dual variable accumulates the constraint residual x - z_next, u_next = u + x - z_next, as in the iteration above Question 15.', (torch.tensor([[3.576521158218384, 0.4029788672924042, -0.8903450965881348], [-0.25152239203453064, -0.7707265615463257, -0.882917582988739]], dtype=torch.float32), torch.tensor([[1.5120148658752441, -1.6464769840240479, -0.7174089550971985], [-0.2661569118499756, -1.087127923965454, -0.5100065469741821]], dtype=torch.float32), torch.tensor([[-2.145392417907715, -2.122523546218872, 0.47363024950027466], [-0.2805725038051605, -0.40391743183135986, 0.6376727819442749]], dtype=torch.float32)))]))]
    depends = [('data_prox_matrix', dict(what='3 measurements of 4 unknowns', inputs={'v': torch.tensor([[-0.17477209205516195, -0.42219041157635356, 0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813, -0.37760500712699807, 2.0427716074923303]], dtype=torch.float64), 'y': torch.tensor([[-0.6615861100167054, -0.1489788645933131, 0.38686221885475636], [0.22713226547654342, -0.7254454450729044, -0.6838906635029195]], dtype=torch.float64), 'H': torch.tensor([[0.172792096032393, 0.4108090717505792, 0.16521853809169357, -0.6515786158021805], [0.45267793333655887, 0.22318728618200565, -0.2684766176801426, 0.29055905209817656], [0.18228619809303787, 0.147066248327763, 0.014211120657898394, 0.27335649330622347]], dtype=torch.float64), 'sigma_y': 0.5, 'rho': 2.0}, outputs=[torch.tensor([[-0.16093255591285746, -0.4630819153718953, 0.21674831809356274, 0.5327655026223131], [1.1814096866886636, -1.2507499601480412, 0.3253690645839816, 0.23083482568428454]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('data_prox_matrix', dict(what='inpainting: H selects 2 of 4 pixels', inputs={'v': torch.tensor([[0.45495807124085547, -0.09919805171738795, 0.5452887139646817, -0.6071856998706371], [0.12682784711186987, -0.8922740434297903, 0.8414649723701431, 0.18803508698068597]], dtype=torch.float64), 'y': torch.tensor([[2.092977618058713, 1.050998908039483], [0.18256349858026044, -0.7914668630317219]], dtype=torch.float64), 'H': torch.tensor([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), 'sigma_y': 0.1, 'rho': 1.0}, outputs=[torch.tensor([[0.45495807124085547, -0.09919805171738795, 2.0776539655429307, 1.0345812386542343], [0.12682784711186987, -0.8922740434297903, 0.18908727554847712, -0.7817688239226881]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('data_prox_matrix', dict(what='float32 inputs', inputs={'v': torch.tensor([[-0.6720146536827087, 0.38018909096717834, -0.11005869507789612], [1.4825711250305176, -1.8296040296554565, -0.0030809645541012287]], dtype=torch.float32), 'y': torch.tensor([[2.074563503265381, -0.7104798555374146, -1.199237585067749], [-1.7038443088531494, -0.6230315566062927, 1.1192876100540161]], dtype=torch.float32), 'H': torch.tensor([[-0.3763118088245392, -0.10087307542562485, 0.9605515003204346], [0.38055911660194397, -0.9476611614227295, -0.003004105994477868], [-0.3599569499492645, 0.08581244945526123, -0.9284876585006714]], dtype=torch.float32), 'sigma_y': 0.5, 'rho': 1.0}, outputs=[torch.tensor([[-0.9395716732992403, 0.3343115002594401, 1.52952910072947], [0.6982879499492275, 0.3659844586408462, -1.2735503406227722]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[]))]
    run_cases(functions, cases, depends)

