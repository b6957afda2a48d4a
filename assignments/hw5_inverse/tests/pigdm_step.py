from otter.test_files import test_case

OK_FORMAT = False

name = "pigdm_step"
points = 2

@test_case(points=None, hidden=False)
def test_pigdm_step(pigdm_step):
    """The public cases of pigdm_step: the grader runs exactly these (and hidden ones besides)."""
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

    class TestOperator:
        """The linear degradation a check hands to a student's function, built on both sides from the same arrays.

        ``H = U diag(s) V^T[:m]`` for one sample's ``shape`` (``d = prod(shape)``), given by its dense factors:
        ``Vt`` ``(d, d)`` and ``U`` ``(m, m)`` orthogonal, ``s`` ``(m,)`` (exactly ``0.0`` where ``H`` loses a
        coordinate). It has the interface of ``course_core.inverse.Degradation`` (the DDRM code's ``H_functions``):
        ``V``, ``V_T``, ``U``, ``U_T``, ``singulars``, ``add_zeros``, ``H``, ``H_T``, ``H_pinv`` over batches ``(B, ...)``
        with ``B * d`` (or ``B * m``) entries, returning flat ``(B, d)`` or ``(B, m)`` tensors in the input's dtype and
        on its device; attributes ``shape``, ``d``, ``m``. The factors are float64 and cast to the input's dtype.
        """
        PARTS = ('Vt', 'U', 's')

        def __init__(self, Vt, U, s, shape):
            self.shape = tuple((int(n) for n in shape))
            self._Vt, self._U, self._s = (torch.as_tensor(a, dtype=torch.float64) for a in (Vt, U, s))
            self.d, self.m = (math.prod(self.shape), int(self._s.shape[0]) if self._s.dim() == 1 else -1)
            if not 0 <= self.m <= self.d:
                raise ValueError(f'{self.m} singular values for d = {self.d}: m must be at most d')
            if self.m == 0 and self._U.numel() == 0:
                self._U = self._U.reshape(0, 0)
            if tuple(self._Vt.shape) != (self.d, self.d) or tuple(self._U.shape) != (self.m, self.m) or self._s.dim() != 1:
                raise ValueError(f'inconsistent factors: Vt {tuple(self._Vt.shape)}, U {tuple(self._U.shape)}, s {tuple(self._s.shape)} for shape {self.shape}')

        def arrays(self) -> dict:
            return {'Vt': to_numpy(self._Vt), 'U': to_numpy(self._U), 's': to_numpy(self._s)}

        def __repr__(self) -> str:
            return f'TestOperator(shape={self.shape}, m={self.m})'

        def to(self, device) -> 'TestOperator':
            """A copy with its factors on `device` (the grading device: `singulars()` is then on it too)."""
            return TestOperator(*(p.to(device) for p in (self._Vt, self._U, self._s)), self.shape)

        @staticmethod
        def _flat(v, n: int):
            if not isinstance(v, torch.Tensor) or v.dim() == 0 or v.numel() != v.shape[0] * n:
                got = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
                raise ValueError(f'expected a tensor with {n} entries per sample, (B, ...), got {got}')
            return v.reshape(v.shape[0], n)

        @staticmethod
        def _cast(p, v):
            return p.to(dtype=v.dtype, device=v.device)

        def V(self, z):
            z = self._flat(z, self.d)
            return z @ self._cast(self._Vt, z)

        def V_T(self, x):
            x = self._flat(x, self.d)
            return x @ self._cast(self._Vt, x).T

        def U(self, z):
            z = self._flat(z, self.m)
            return z @ self._cast(self._U, z).T

        def U_T(self, y):
            y = self._flat(y, self.m)
            return y @ self._cast(self._U, y)

        def singulars(self):
            return self._s.clone()

        def add_zeros(self, z):
            z = self._flat(z, self.m)
            return torch.cat([z, z.new_zeros(z.shape[0], self.d - self.m)], dim=1)

        def H(self, x):
            x = self._flat(x, self.d)
            return self.U(self._cast(self._s, x) * self.V_T(x)[:, :self.m])

        def H_T(self, y):
            y = self._flat(y, self.m)
            return self.V(self.add_zeros(self._cast(self._s, y) * self.U_T(y)))

        def H_pinv(self, y):
            y = self._flat(y, self.m)
            s = self._cast(self._s, y)
            s_pinv = torch.where(s > 0, 1 / torch.where(s > 0, s, torch.ones_like(s)), torch.zeros_like(s))
            return self.V(self.add_zeros(s_pinv * self.U_T(y)))
    functions = {'pigdm_step': pigdm_step}
    cases = [('pigdm_step', dict(what='super-resolution x2 (H^+ is not H^T), eta = 1', inputs={'x_t': torch.tensor([[[[0.2775403612334572, 0.7629188335006009, 0.21271834626863834, 0.7829821661085862], [-1.343088650464953, -0.43051197019258486, 0.2613508456100389, -0.017916816054972758], [-0.19199322011209138, -0.6658760797429369, -0.2583831027042033, -0.7741978238913314], [-2.421833014859781, -1.1945084417055867, 0.47565293887443977, 1.5570779556716277]]], [[[1.813580171323687, 0.09675174368870822, 0.8933836234441344, 0.9079779107107238], [-0.6922591838680748, -1.6979398304606041, 0.030887319354812974, -1.7622009972405384], [-0.3199296129548269, 0.6081170867893684, -1.4200694881000024, 0.03229538393163682], [1.2400181153090652, 0.36151247402096365, 0.5223217007496789, 0.906740413816745]]], [[[1.73296307213118, 0.1514230817231868, 1.2295008614331246, -0.06416921633742403], [-0.5461688154334842, 0.3148209696175649, -0.605812847991671, -0.5731292157665655], [-0.6077406304422468, -2.2954241955331667, 0.10549947766059664, -1.263835358595468], [-0.1072691206682774, 1.4499687804848278, -0.5210003231072904, -0.5420091584474772]]]], dtype=torch.float64), 't': torch.tensor([15, 8, 3], dtype=torch.int64), 't_prev': torch.tensor([12, 4, -1], dtype=torch.int64), 'eps_model': TestModel(W=torch.tensor([[0.05029208843735732, -0.052841945316520755, 0.25616906017731284, 0.041960046861215884, -0.2142677492644444, 0.1446380219637939, 0.5216000180520549, 0.3788323852516969, -0.28149409432279704, -0.506168588418421, -0.2493097850149409, 0.01653039173889744, -0.9300123098555337, -0.08751666557301829, -0.4983643789012261, -0.29290694188138067], [-0.21770359314292398, -0.12652006254766182, 0.16465221454965315, 0.41700534777707104, -0.051413865177613705, 0.5465853882198743, -0.26607786939464545, 0.1406040280372079, 0.3613880726607235, 0.03760491910434983, -0.29739969974152336, -0.3686901505033678, -0.18309033026693566, 0.08807804938801977, -0.40384727341549437, -0.08367022994868523], [-0.0636900039657911, 0.21633823387432308, 0.08586364900253636, 0.14214908361596856, -0.2615314437673358, -0.051845453477107784, 0.3135901880245318, 0.5973724580883043, -0.5036262128416481, 0.6055695098956251, 0.5383501695129218, 0.312524560280171, 0.10578225213172142, -0.1255691258145711, 0.5832082734147835, 0.7841033265799859], [0.7206539479464501, 0.526041505893748, 0.1429521642635824, -0.4833274529128686, -0.0017816532480332916, 0.26258997403053436, -0.5153445854998218, 0.1580488240728033, 0.17194547792889203, 0.2784170895851474, -0.47364718670287564, -0.264681028815614, -0.1745740988572885, -0.46792076310914565, 0.6957471508520536, -0.19836429137686076], [0.13158785178408083, -0.10342901818956961, 0.633389151520849, 0.5281443948327357, 0.2533410491299661, -0.8814039522586603, 0.020811589703954605, 0.2734744763106138, 0.40158463033686786, -0.24716281788304034, 0.7288045453313293, -0.5281723880053174, -0.2646112087260876, 0.37401999524560886, 0.019621845530124665, 0.8009570334581021], [0.07540767700498624, -0.2532776360768907, -0.15102540209312332, -0.4364584470476782, -0.5110720665546432, 0.25216459630729277, 0.23246632496512232, 0.5178235277764468, -0.3018423165039725, 0.6756429809774693, -0.11495508312346653, 0.6297633115378347, -0.17311433887303873, -0.29419331693691003, 0.09991414862346674, 0.41258123394778895], [0.06440383068613786, -0.23421152964933467, -0.5364878856306676, -0.5606080859669712, 0.20107313994994627, 0.395885213314322, -0.06571783705011629, -0.4297459432913739, 0.34921686104868266, -0.5121575778858293, -0.28522723802370886, 0.24840714141603942, -0.9000564694298367, 0.15454783902652236, -0.23265633456380128, 0.04371187899112555], [-0.030280610488329248, 0.08084575801758395, 0.27766877468280327, -0.3033479003593637, 0.5683928089247665, 0.290437515579106, 0.33749306492130726, 0.4659455924444113, 0.31503528868234776, 0.33763147223143686, 0.03023744429715405, -0.570709540395893, -0.05401804001480557, -0.3078058560706823, -0.5690967074061655, 0.10338111636519504], [-0.22741978165905705, -0.4119217752045855, -0.4172004320286262, 0.10736683188356587, 0.14346877966813779, 0.5289829879067333, -0.005565867409637494, 0.41673590368512886, 0.560905930709009, 0.46006625445987687, -0.9461215625107897, 0.49147348768136845, 0.13584800329945707, 0.16950854114133893, 0.14849096709450355, 0.15310286410830437], [0.12776568810095237, -0.1435653234154482, -0.7606541193503978, -0.0435658911629693, -0.32149273940827067, 0.4320653650151541, -0.11550660239815101, 0.033390142442803944, -0.3398423822440573, -0.2042489871592507, -0.004613224674634711, -0.5941500737054181, 0.12027404571784234, -0.042428901379100374, -0.4742879220020935, -0.9592931461591085], [0.20522085355212202, -0.11903361557733215, -0.21200336528726338, -0.09446185194117682, 0.7265903763524576, -0.01992038762385728, 0.03464770519541685, -0.5948291478701593, 0.65893562654244, 0.36699519337771774, 0.42677394680207165, 0.01906909248467184, 0.3666619155298383, 0.1483787340377641, 0.2452756311436025, -0.06087718336331613], [-0.5895551792167837, 0.41154173912127323, -0.7739838546438829, -0.09597466850321443, -0.08180899535986434, -0.41714405639380187, 0.24524925453463192, -0.08013188056382735, -0.17474733023891265, 0.2079366923910565, -0.19063161622336552, 0.5555919899353234, 0.14058203047492554, -0.1897331947337757, -0.7777059903942177, -0.5231012787604591], [0.43473231390734535, -0.020241625244536963, -0.1132500262718139, 0.6573006456970788, -0.5130596976295594, -0.23426311993654375, -0.18903507070339365, 0.23453491261252016, -0.2654140793216188, -0.24536713944561128, -0.6420597587540455, 0.29173976160714266, 0.3224557434060088, -0.1905506989604648, 0.06533597821651946, -0.5170584491037367], [-0.18872526189636085, 0.5511803810890085, 0.054292293626853755, 0.9241453947183553, -0.31487709686286314, 0.23211376668972303, -0.07820233113324095, 0.22632713873123725, -0.0028845438635026, -0.22447924416366366, -0.34704670572868107, 1.2264146956195587, -0.030938023889686413, -0.806664276093298, -0.25944024316133385, 0.27121589084959885], [-0.20000337327389928, 0.544178480994103, 0.40095930913758315, -0.06093545432969432, -0.18888637711041734, -0.4019204028110786, -0.2799866169253299, -0.5892572298662501, 0.48175851661323377, 0.6362803148504248, -0.5024552278910932, -0.4726731902745853, -0.7074047428347668, -0.3855416922928696, -1.2425347205133166, -0.4569115826527679], [0.5187661599202096, -0.138269011785786, 0.3418336939413633, -0.19558762553681797, 0.7042669187972492, 0.07968719320554281, -0.15280091685739222, 1.0209696101484325, -0.1297887425141757, -0.4884893398904545, 0.08076400078404397, -0.015534015423231892, 0.42652982126650285, -0.3686535697991245, 0.3218867725917991, 0.3410993882297165]], dtype=torch.float64), b=torch.tensor([-0.2670749167740282, 0.06529760228907107, -0.332300782741735, 0.9383232295362671, -0.2816558249120668, -0.1812297774674857, -0.4263352087853499, -0.13844851006926936, -0.00235041067876169, 0.3071156541378746, -0.24419465842627974, -0.07430958346863428, -0.5665957465656168, -0.33096089070646206, 1.1023230233103805, 0.4164972766779183], dtype=torch.float64), c=torch.tensor([-0.0312569616670926, -0.05349588966113166, -0.03902331322398633, -0.0008676343805494045, 0.0013891115343676133, -0.02977442403723425, -0.05146297866950578, 0.05689514020993786, 0.01806741805180384, -0.014982720782717415, -0.008826448312643466, -0.021181218365026767, -0.11744181784068453, 0.004626473083705037, -0.04282177638783065, -0.04010737196131279], dtype=torch.float64), A=torch.tensor([[-0.25610496215614953, 0.2929206858845189, -0.4682123233630733, -0.5737125838696489, 0.25594083006895135, 0.30174756185582036, -0.38357348311768885, 0.2249590709171837, -0.11665297216590086, 0.12051687062142405, -0.5043841120262137, 0.33315777974433414, 0.4813035816465992, 0.25482929425047335, 0.22333598467805735, -1.5089100624490936], [0.10425189962677593, -0.010178126677017415, -0.05881820273853325, -0.252231195988408, 0.02214598996542156, 0.16484696205133348, -0.10551526421625, -0.18532965588394834, 0.4919015243757085, -0.44214684290765016, 0.41206207912955073, 0.07072498549220987, -0.32172225811297095, -0.11599275842772555, -0.36799744112487875, 0.27002580736377574], [0.13916070478818862, -0.22271847006127252, -0.44088731962168926, 0.12068643740042823, 0.3829542427367727, -0.04553453975275259, 0.16734100035568927, -0.1504108602198971, 0.027027682403770893, -0.1165131645574754, 0.1176168571899921, -0.6039090052142908, 0.2576762092758757, -0.09197299264132593, 0.14344322705975407, -0.13612405098648359], [0.1281444757496414, -0.4290251216515686, 0.4756617649953849, -0.6814178350549192, -0.4156955259116745, 0.0942664278158537, 0.5851369140738308, 0.11125052072321231, -0.09916338211163446, -0.5700360572973058, -0.0765106657720529, -0.007950804416837503, 0.6762274581357589, 0.24885008864231284, -0.6116371499713786, 0.8107116380972772], [-0.15800395019951727, -0.3517838858817267, 0.5899290608347639, -0.019902304118787243, -0.14696103975123953, 0.08751439557409252, 0.33795551215028646, 0.39733448177986014, -0.5500809600210962, 0.7993925881086918, 0.37874463519825025, -0.1516804248052605, -0.3274639406085664, -0.38760497230328256, 0.04935137503047303, -0.2592065176758508], [-0.3059495861146082, 0.32450176197665426, 0.1458269375305294, -0.1578285033694845, 0.2936990384741492, 0.5469514505222683, -0.43779852505185834, -0.24131675365689909, 0.37704873608795075, 0.2875762263260217, 0.09067954257519692, 0.46496847502338295, -0.43528469164763894, -0.5916551335084417, -0.34660294291075927, 0.049017638214416036], [-0.3184347100380416, -0.19488726256987665, -0.3900000476401206, -0.2481716578379611, -0.40191488759719773, 0.14698648229824518, 0.3179564271932877, -0.1921783758072845, -0.08290631818827128, -0.23241302900476613, 0.21250048625447568, 0.03562241549568798, 0.6376627601352857, -0.43818881465501347, 0.14500099967641908, 0.17759655985866765], [-0.14417606839635924, 0.2334136509530974, -0.5754090595961754, 0.8475212122917285, -0.5368177813145766, 0.3679229042259953, -0.44844907157568925, 0.46035321249270106, -0.15390961064360092, 0.06336916286488452, 0.02133750228269385, 0.44029363800991805, -0.12861898005717054, -1.1868734839935775, -0.30402351602577354, 0.07348492923557931], [-0.17618728194810476, 0.3079283405283192, 0.4061307983897875, -0.059108723959923865, -0.5958581577530048, 0.5536660440023587, 0.43322140004272713, -0.11967645370680952, 0.843315364557101, -0.13955018403706576, -0.45484788816735017, -0.062349373500402205, 0.4311334862023082, -0.37498137701700635, 0.7804900310973795, -0.35861048582882266], [0.3817689105524962, 0.21778494968127082, -0.06162282383312942, 0.43221319148710285, -0.599919515547278, 0.5430287147732756, -0.025473611588096565, -0.2169740999454054, 0.2996696192160325, 0.42395960543969746, 0.3079181722494466, 0.7998015284179947, 0.43229043042003934, 0.5134026529681623, -0.21594557487060595, 0.042609510824811826], [0.22519303293020912, -0.007096894681317455, 0.12065409326929433, 0.17044190645382748, 0.3376975670726141, -0.040643556308009574, -0.13991968615675252, -0.33132626008662025, -0.3566929304569086, 0.4689804909385292, -0.03380859520098097, 0.31477775243621725, -0.5189455385371008, -0.7752672431356732, -0.41963649239998535, 0.4586507870038021], [0.4272309759329838, 0.13281544314083404, -0.3208680600639839, -0.05232105662634176, -0.11910419191957294, -0.13798933843812666, -1.0024279349262528, -0.3431705543848788, -0.0760435502728941, 0.6065711159248377, 0.06429722365269777, 0.5603553145051231, -0.15748276350377843, -0.10107543249912317, -1.5597686920217357, 0.1853321356828076], [0.21883826453573352, 0.7055036278237496, -0.19470448431713167, 0.0376616624788186, -0.28221118188843336, -0.47050282596811255, -0.2852431866947833, -0.13799940963431498, 0.5421752114679255, 0.0008846410293512427, -0.3162179238671503, 0.056751131296693215, 0.08702854222401375, -0.27049282238998434, 0.4572934506518378, -0.75533955639066], [-0.08541785123319462, 0.2660264262516982, -0.5353730077907419, 0.14450149945735072, 0.5171572200775221, 0.18146850570278727, -0.6760639771907706, -0.2912780109740995, 0.4929213610017053, 0.11933409802611768, -0.003943575395990147, 0.17648023788619605, 0.28841958000235046, -0.2833860946391973, -0.11616003202918215, 0.05716545986672783], [-0.21758308871493026, -0.05338062341490182, 0.5191487044727973, -0.3871279458768223, 0.7706650836540563, 0.7517377509527945, -0.6853757751857242, -0.05640906604520898, 0.13707662785827174, -0.3043484350025716, -0.2964322014738915, -0.09496627869381852, 0.29567123484462016, -0.20453353557883777, 0.7306775246480467, 0.11598960093541283], [-0.04103011363332951, 0.5797038740525833, 0.25051247802414095, 0.14771471027502955, -0.13245615310781, 0.7255942455571, 0.3247286358959947, -0.08136453437788493, -0.6308796602730815, 0.14918061670476873, -0.45749603684063606, -0.6863783807033284, -0.11166060218710566, 0.11258844103624893, 0.5129924934732658, 0.11298073011409955]], dtype=torch.float64), time='index'), 'y': torch.tensor([[0.13961091999963104, 0.10038971304492172, -0.36290729202496536, -0.11942227404547782], [-0.2308081269668419, 0.888309923916754, 0.16572649099121883, 0.3005617864667306], [-0.11806647560479583, -0.10389256266516614, -0.322743089721526, -0.6305315578234183]], dtype=torch.float64), 'op': TestOperator(torch.tensor([[0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5]], dtype=torch.float64), torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), torch.tensor([0.5, 0.5, 0.5, 0.5], dtype=torch.float64), shape=(1, 4, 4)), 'alpha_bar': torch.tensor([0.99, 0.9649894736842105, 0.9258820055401662, 0.8742275357573991, 0.8121113687430576, 0.7420133348094462, 0.666640401326171, 0.5887487333817447, 0.5109719270244721, 0.43567080093665517, 0.36481697067906227, 0.2999179516845764, 0.24198643154339772, 0.19155136475856324, 0.14870434895730567, 0.11317183610119158, 0.08440236408178341, 0.06165814807658704, 0.04410180170320094, 0.030871261192240654], dtype=torch.float64), 'eta': 1.0, 'noise': torch.tensor([[[[1.3639093845017958, 0.5463057654642988, 0.9765270973526429, -0.35529123398699336], [0.7480832128709275, -0.6861685891568023, -0.676001725621899, 0.5962442782050664], [-0.5983731712727243, 0.7671185432439538, 2.3916845354292984, -1.6861525369472856], [-0.7522043761212451, 1.1201461818426741, -0.14507816949322366, 1.1610898497925723]]], [[[-1.0100642731329075, 0.3313441778079705, -0.15055631782284468, 0.14037072287334246], [0.33111601905536314, -1.2200063626559563, -1.0741374853592944, 1.3992440068954228], [0.29321371158095555, 0.10634633295262737, -0.044074722613553316, 0.3565424987061171], [-1.1559367394054465, -0.9990273318953995, 1.304508247206433, 0.15127522184716322]]], [[[0.8503008736540341, -0.6056640069212733, 1.3767253803593051, 0.345278405319519], [0.48124581925008575, 0.5487293377157805, -0.7970092393721301, -1.8657208634000604], [-1.0748026670851023, 1.6305228573863613, 1.3006839703204864, -0.3469213679779701], [-0.30167632703614505, 1.0366058772358528, -0.1684098727535861, -1.2992598701307787]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[4.503351505968609, 1.6245134907186205, 3.17714995525061, 1.0529857708438133], [-1.8800902564145434, -0.700909707536646, -1.0464473217265378, -1.653862501338378], [-0.803960022268903, 3.0293260947601492, -1.3987368882544122, -1.1229594023262026], [-4.432294998070665, -1.1239821759315674, -0.2609734794667884, 0.5670853400212172]]], [[[0.6891446921098638, -0.4000446124857011, 2.3020864140324857, -1.180204939642004], [-2.651443546611555, -1.8524096888698027, 0.3466604083378765, 1.3392557831607115], [0.35513247983894397, 1.7116222268467145, -1.2293697590617259, 1.809795060101618], [-1.878314084142764, -0.09212090956759922, 1.2624671086268062, -0.4238133122562049]]], [[[0.8574315826444958, -1.006206073985051, 1.302462289671754, -1.6555178973574127], [-1.0652016469663774, 1.289827362820261, -0.8085494983261543, 0.4521928716068325], [-0.04536280596833078, -2.88918467075387, 0.9514771948213693, -0.8406257762463937], [-0.4195512608474421, 1.878563968063384, -1.4306310012329853, -1.787295044433496]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('H_T_not_pinv', 'this uses H^T where ΠGDM uses the pseudo-inverse H^+; they agree only when every singular value is 1 (H^T multiplies by s_i where H^+ divides by it).', (torch.tensor([[[[4.555115657744184, 1.2488526099033246, 1.6817728355508161, 0.7112746145249242], [-2.4785327821525995, -1.2556212403204319, 0.17109694336186426, -1.8454260419757238], [-0.3121070122146291, 1.9168560340299514, -0.026252787816391676, -0.9451618368477128], [-3.6543760255590265, -0.7402405309306468, 0.679931227877671, 1.7566935738904221]]], [[[3.1976534614853374, 1.2773457354821178, 1.5808321693437948, -0.41599924387629106], [-1.023079863171866, -0.9212783572773826, 0.4805015388061963, 0.3766925044051214], [-0.1794090500617978, 0.8487563417096176, -2.235083906809516, 0.6383316143905761], [-0.6741205219091138, 0.3230367604570336, 1.2568046316726549, 0.846141053951003]]], [[[1.5103763036682023, -0.5209840528924679, 1.5146398937292669, -1.3325069451625882], [-0.4917696883122056, 1.427831932689237, -0.41250164797751687, 0.6224420115742378], [-0.09790032931892075, -2.8047921142266024, 1.0744711606708073, -0.8642443871828596], [-0.16107126879248276, 2.378934946781933, -1.1131239252067324, -1.4376634290482415]]]], dtype=torch.float64),)), ('weight_sqrt_ab_prev', "the guidance term is weighted by sqrt(alpha_bar) of t_prev; the step of the notebook's Question 9 (the paper's Algorithm 1) weights it by sqrt(alpha_bar_t) of the current step.", (torch.tensor([[[[4.471446442332771, 1.8560537342421786, 4.0988322494075184, 1.2636009516874465], [-1.511237561815312, -0.3590108036440314, -1.7968861085053214, -1.5357914667575532], [-1.1071157979743742, 3.71500193147519, -2.2446735270599802, -1.2325457173011343], [-4.911768793548192, -1.3605030341609614, -0.8409042526635688, -0.16613495049695937]]], [[[-0.1827888971364251, -0.9830894096680476, 2.5527874719710235, -1.4458355100295845], [-3.217447145416338, -2.176062009294891, 0.3001385150510226, 1.6738335469574033], [0.5409339888699825, 2.0115461328145914, -0.8797931670612833, 2.216984518380432], [-2.296880217011841, -0.2364257339106397, 1.2644353313075214, -0.8652372698777391]]], [[[0.796910427692332, -1.0511810866916473, 1.282795642191381, -1.6854576384405162], [-1.1183527994403892, 1.2770357807946766, -0.8452589969217499, 0.4364125547611958], [-0.04049312636280636, -2.8970069791759188, 0.9400769389870247, -0.8384365777335401], [-0.44350965601857684, 1.832184805231479, -1.4600605904889732, -1.8197022429138374]]]], dtype=torch.float64),))])), ('pigdm_step', dict(what='colorization of (3, 2, 2) images, eta = 0', inputs={'x_t': torch.tensor([[[[0.20273375576037383, 0.6135093864353722], [0.07479408933657207, -0.7928309389878114]], [[-0.553532217715408, 0.8845028912493791], [-0.005499615686538553, -1.6838143968410575]], [[0.8436627082696916, 0.41624847971347423], [0.8734155452519468, -0.3366274663766816]]], [[[0.8281565184266096, -1.0610649200016748], [0.5699998108654594, -0.49038030962805695]], [[0.6743517049201465, 1.00564411641639], [-0.7359901520085294, -0.051229479498743465]], [[0.038954626455999015, 1.1896648178406266], [0.7105580913697815, -1.2192775440104588]]]], dtype=torch.float64), 't': torch.tensor([18, 6], dtype=torch.int64), 't_prev': torch.tensor([10, 0], dtype=torch.int64), 'eps_model': TestModel(W=torch.tensor([[0.13823367682591442, 0.32864725740046336, 0.13217483047335485, -0.5212628926417444, 0.3621423466692471, 0.17854982894560453, -0.21478129414411407, 0.23244724167854125, 0.1458289584744303, 0.1176529986622104, 0.011368896526318716, 0.2186851946449788], [-0.2945816348006668, -0.06516397919722111, -0.19284772507199133, 0.23953848505385103, 0.015888842992663597, -0.11698270038603545, -0.31276338494273687, -0.10287689624754828, 0.0032568722073374034, -0.11024116211974817, 0.5176255257592829, 0.40268972612231774], [-1.0844649915863875, -0.7556052983870691, -0.06990883682206478, -0.16887616463054145, 0.08545719899944444, 0.08692877240902544, 0.8471355020204193, -0.44480830507691255, -0.15104200285079925, 0.8171086429969322, 0.2586811984807388, 0.2652253489505047], [-0.20560254867498517, -0.6592300683422612, 0.06698589768909645, 0.043605635128619015, -0.4909408216978297, -0.2732906647122249, -0.028817471890890973, -0.377900649224311, -0.03930798714088691, 0.03819321098778174, 0.014234494822194285, -0.20251666332572593], [0.23749922871432913, 0.3564667817129314, 0.1283393218266255, -0.3272920909561228, 0.29266091351417634, -0.20057600738682094, 0.35166424731519413, -0.4287149667509777, 0.3657868812515125, -0.008025381846192168, -0.49949955613376623, -0.1255597887867391], [0.021640911508617557, 0.1091165356657815, -0.3928752499763911, -0.44294921886607724, 0.07983381313883234, -0.18669984675192083, 0.0942022446920901, 0.3038078089913517, -0.6595149465403795, 0.10175524660704692, 0.489858787014293, -0.1190107377481893], [-0.324325833295028, 0.3008975308718371, 0.10137860648325658, 0.3583532283110242, -0.1380862840205119, -0.5927273094888845, -0.0440043058845004, -0.17833126120449289, 0.31012952881902967, 0.07745313935086152, -0.6523396929740405, -0.47806523204127993], [0.3535156146349021, 0.2719060069671386, -0.2560973463633955, -0.00041951862691227244, 0.17822942151047447, 0.18736173433891118, 0.35049687844574007, 0.1025942508886248, -0.03793133558739927, -0.10353922591513823, 0.4222971202133005, -0.900341710031415], [-0.05546213003653493, 0.013200041593624043, -0.5701395843480751, 0.13312544525521866, -0.2605124049773576, 0.3449779185262987, -0.05023683361373088, 0.2676612963157811, 0.4875374420684893, 0.15317183308538895, -0.3502884573691382, -0.6057274526818555], [0.7013536470065491, -0.04451687727500778, -0.2754259790537287, 0.057702835224329986, -0.0765645321930597, 0.3408569056850751, 0.013571272974840115, 0.005499833447367799, -0.28583188841318563, 0.18782723949899738, -0.413546688941993, 0.26635577590558684], [0.6095750051960528, -0.6098744152396608, -0.9864916925405272, 0.2467515020617278, 1.0191591261932504, -0.40036993954875744, -0.5002783035207953, 0.23558757351218948, -0.33628863602332315, -0.20241019357469459, -0.13924698667351115, 0.21280083451671944], [-0.16212094455724746, 0.11115313603206407, -0.07061330355743015, -0.3378684414606413, -0.12793050309728843, -0.38015986606716745, 0.0026059943478995377, -0.44954649102625466, -0.43715774771809723, 0.5827847261221022, -0.021273688122136564, -0.021560810188817184]], dtype=torch.float64), b=torch.tensor([0.2046145679670476, -0.1683428010195485, -0.09141414699126324, 0.17005949413276356, 0.11296633689776062, -0.4637186907729719, 0.33333703866786474, -0.2361739773156172, -0.4224315801256744, -0.3601900279996207, -0.15621813774212917, 0.650920101849227], dtype=torch.float64), c=torch.tensor([-0.04702143619683123, 0.0064030357013736315, -0.0855129743236231, -6.267732580787625e-05, 0.03598265669904029, -0.009466532882458207, -0.02517419695533368, 0.009260442562341509, 0.02800607004602602, 0.02654630284069627, 0.07889895415719168, 0.008366698893451072], dtype=torch.float64), A=torch.tensor([[-0.23696403990117304, -0.0503916759946571, -0.02899941824792482, 0.043494953391247475, -0.012011125291773957, 0.06958637555848136, -0.6683400242460451, 0.33185158241601714, -0.22989570756841293, -0.4692634785788099, 0.2551004638565743, 0.5269304029544328], [0.19721125979977708, 0.06446372553820813, -0.37288812214878087, 1.1486269351253995, 0.35210344826460327, -0.45571786813719034, -0.31185516649589784, 0.034791699428761744, -0.6218924527983946, 0.06745216280420571, -0.18362862228510365, 0.49050824012648697], [0.38486186545129875, -1.0845141749739091, 0.016681034410925027, -0.6469869998094753, 0.44385519969940923, 0.06724234765112974, 0.2193621808747989, -0.4260498915213196, 0.7313720951982001, 0.8080293468601781, -0.425908417050485, 0.14912604874652652], [-0.26932097135607475, -0.009427974744292841, -0.5062547916898256, 0.7468582058322475, -0.3876718044330672, -0.11843352599899784, 0.20059317244420893, -0.2590242713664514, -0.09572497189292087, -0.22545593857078583, -0.053384301934517625, -0.46821705404012115], [-0.17519523024092026, -0.08275716988489772, -0.13349040152165395, 0.022675981957517997, -0.11724088774268848, 0.3012845633757524, -0.12927837031433195, -0.05465983851835367, -0.265912534398341, -0.2106059360460948, -0.5057971163278849, 0.20751396835118566], [-0.45700720706099685, -0.29834255927533, 0.14369786080448183, 0.16102934637781297, -0.1600459004020284, -0.8077063241955207, 0.1682053149182301, 0.10382538355682386, -0.5649524861887102, 0.30812883311779843, -0.2804399201733705, -0.4504752464613202], [0.038292284385702716, -0.07138817255968603, 0.08104960039645902, -0.6422992233297755, 0.7248920465089493, -0.24106344581749123, -0.6158637233985644, 0.2475368754268598, -0.14192165204047066, 0.12994339430916152, -0.13584337225001542, -0.023896144191968068], [0.09830913749545354, -0.2986611535931593, 0.2714958383438232, -0.1879600396318174, -0.34787485766818893, 0.03081296872900112, 0.1780165113964168, -0.09163173664745584, -0.34500791483182514, 0.24791422652345319, -0.7041315168491108, -0.41234565441421317], [0.015809156213353767, -0.544423759322027, 0.011197705699667698, -0.021945247207385526, 0.3594959155432673, -0.36591614072531664, -0.25036260945665706, 0.13327267388040007, -0.983025436082323, 1.240016919565834, -0.2794602921847076, -0.29193402109022315], [0.3444510043614852, -0.015932736574273652, -0.7117714474814365, 0.25077095203704486, 0.34215113359968347, -0.17997850939037652, -0.11264014331680997, 0.1943938389037568, -0.3635120999657798, 0.1753554256827634, 0.07971940417779921, -0.2699730463103672], [-0.5568407495247378, -0.09024233230443447, -0.3501689033040674, 0.40056409027206574, 0.05763414739996928, 0.31283380902395863, 0.05384877413778327, 0.10516044683401227, -0.3131995668921523, 0.26721897062885785, 0.7138793097228098, -0.12387502220701668], [-0.2371098110856596, -0.06313468087614094, -0.1925121134404495, -0.2805917194614161, 0.0552774575872667, -0.11636701322003618, 0.5755494375370634, 8.065718204968759e-05, 0.12956479105257132, 0.38080874719992064, -0.12030234100181719, 0.5746946160355754]], dtype=torch.float64), time='index'), 'y': torch.tensor([[-0.705003121342286, -0.49512673690364856, -0.9806972425244151, 0.2976635114567217], [-0.09008788139051319, -0.48016207851938647, 0.28516432995176844, -0.06724575699163686]], dtype=torch.float64), 'op': TestOperator(torch.tensor([[0.5773502691896257, 0.0, 0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0], [0.0, 0.5773502691896257, 0.0, 0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0, 0.5773502691896257, 0.0, 0.0], [0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0, 0.5773502691896257, 0.0], [0.0, 0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0, 0.5773502691896257], [0.5773502691896257, 0.0, 0.0, 0.0, 0.21132486540518725, 0.0, 0.0, 0.0, -0.7886751345948128, 0.0, 0.0, 0.0], [0.5773502691896257, 0.0, 0.0, 0.0, -0.7886751345948128, 0.0, 0.0, 0.0, 0.21132486540518725, 0.0, 0.0, 0.0], [0.0, 0.5773502691896257, 0.0, 0.0, 0.0, 0.21132486540518725, 0.0, 0.0, 0.0, -0.7886751345948128, 0.0, 0.0], [0.0, 0.5773502691896257, 0.0, 0.0, 0.0, -0.7886751345948128, 0.0, 0.0, 0.0, 0.21132486540518725, 0.0, 0.0], [0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0, 0.21132486540518725, 0.0, 0.0, 0.0, -0.7886751345948128, 0.0], [0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0, -0.7886751345948128, 0.0, 0.0, 0.0, 0.21132486540518725, 0.0], [0.0, 0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0, 0.21132486540518725, 0.0, 0.0, 0.0, -0.7886751345948128], [0.0, 0.0, 0.0, 0.5773502691896257, 0.0, 0.0, 0.0, -0.7886751345948128, 0.0, 0.0, 0.0, 0.21132486540518725]], dtype=torch.float64), torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), torch.tensor([0.5773502691896257, 0.5773502691896257, 0.5773502691896257, 0.5773502691896257], dtype=torch.float64), shape=(3, 2, 2)), 'alpha_bar': torch.tensor([0.99, 0.9649894736842105, 0.9258820055401662, 0.8742275357573991, 0.8121113687430576, 0.7420133348094462, 0.666640401326171, 0.5887487333817447, 0.5109719270244721, 0.43567080093665517, 0.36481697067906227, 0.2999179516845764, 0.24198643154339772, 0.19155136475856324, 0.14870434895730567, 0.11317183610119158, 0.08440236408178341, 0.06165814807658704, 0.04410180170320094, 0.030871261192240654], dtype=torch.float64), 'eta': 0.0, 'noise': torch.tensor([[[[0.45760826070855726, 0.7450892093791386], [2.123805895927743, -1.6791490967541916]], [[-0.536352299933991, 1.333371188087335], [-1.355070298606693, -1.199460583924726]], [[0.5170821953802978, 1.0184086608787832], [-0.6686804873755542, 0.5401271722920614]]], [[[0.11695526942994706, 1.518749034018734], [-0.001518439708736793, 0.9902473119680668]], [[-0.9031178593142654, -0.18487884946202174], [-0.09670445376181883, 1.1391079474852248]], [[0.5796130395204568, -0.7517531312935694], [0.6819677636799354, 0.7706312764276145]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[2.633352121308111, -14.253890795517806], [-26.117674534935865, 18.344507593250455]], [[15.094482564293797, -18.635951664355726], [-23.70531066135177, 12.574915407427296]], [[-24.72640691228719, 7.144671705354055], [-3.895349612011082, 15.517305995547394]]], [[[2.000868894010758, -0.20689205016285517], [-0.4838150343376686, 1.9277132005127915]], [[0.9004148638670335, -0.44148682660352967], [-1.2523677261812605, 1.0297968278628116]], [[-3.706444832751752, -0.9108757934460472], [1.1464006790189236, -0.15875201987918963]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('H_T_not_pinv', 'this uses H^T where ΠGDM uses the pseudo-inverse H^+; they agree only when every singular value is 1 (H^T multiplies by s_i where H^+ divides by it).', (torch.tensor([[[[2.9455338803604962, -0.4086658990288212], [-8.833189441249887, 4.338864789426999]], [[3.424541944056331, -1.2906419437698045], [-6.276565253020524, 0.5874993825147943]], [[-4.98045147897009, 4.5943635446635405], [1.374654508429714, 3.385026489718175]]], [[[1.43194718438022, -0.1570033973603692], [-0.6034319212367353, 0.5253578352712327]], [[1.1511057560457334, 0.9369141743598404], [-1.21602943527147, -0.24535656021421048]], [[-2.1828438376940618, 0.4245151213141636], [0.48337968271425746, -0.9384602089747076]]]], dtype=torch.float64),)), ('weight_sqrt_ab_prev', "the guidance term is weighted by sqrt(alpha_bar) of t_prev; the step of the notebook's Question 9 (the paper's Algorithm 1) weights it by sqrt(alpha_bar_t) of the current step.", (torch.tensor([[[[1.7548091765122529, -53.21716875526973], [-74.75972998231677, 57.7592341614522]], [[47.93606827774937, -67.44917997909117], [-72.7533439660884, 46.30994146079929]], [[-80.29554037752344, 14.321757414753186], [-18.726212738390785, 49.66000733880266]]], [[[2.187443725003721, -0.22325276694959031], [-0.4445873162187891, 2.3876081400677127]], [[0.8182021269509286, -0.8935260605471302], [-1.264284674278513, 1.4479765595258485]], [[-4.2061016279515755, -1.3488100997194443], [1.3638348676538814, 0.09694910936546042]]]], dtype=torch.float64),))])), ('pigdm_step', dict(what='float32 data', inputs={'x_t': torch.tensor([[[[0.49346810579299927, 0.23093847930431366, -0.5618042945861816, -1.2891629934310913], [1.2348517179489136, 1.4173023700714111, -0.4544449746608734, 0.5614143013954163], [-1.5261049270629883, -1.562214970588684, -0.26988452672958374, 1.4716817140579224], [-1.0465514659881592, -0.8341242671012878, 1.6075947284698486, -1.8934478759765625]]], [[[0.6462222337722778, 0.48781391978263855, -0.20627076923847198, 0.18862496316432953], [2.621741533279419, -1.1268432140350342, -0.3139401972293854, -0.23812341690063477], [-0.6896811127662659, -1.3418829441070557, 1.593300223350525, 0.22009506821632385], [-1.757992148399353, -0.7028042674064636, 0.40540069341659546, 0.4034201204776764]]]], dtype=torch.float32), 't': torch.tensor([9, 5], dtype=torch.int64), 't_prev': torch.tensor([6, 1], dtype=torch.int64), 'eps_model': TestModel(W=torch.tensor([[0.07562135271741323, -0.20909937659229896, -0.1652254173567574, -0.9765869530559423, 0.7198829530883608, 0.45766634881489154, -0.13016913474712974, 0.3095226346910646, 0.1124842679190597, -0.22152913456962098, 0.3910269804504143, -0.12422261866366102, -0.13152956162318508, -0.3168587021435593, 0.1819832284963422, -0.03967922068695518], [0.21811548558587268, -0.24287427994825483, 0.05073113884474795, -0.3569096173719162, 0.33658598894805725, 0.0752140347922744, 0.13222840325413046, 0.16420156518810514, -0.4043030000613338, 0.31327239845763094, 0.8226811273369474, -0.6553770012942102, -0.6917645868617927, -0.601932565545728, 0.33658355738159995, 0.051486262989627385], [0.43133697629571927, 0.2889723489229996, 0.08422872495011224, 0.11361525810014834, -0.06790419908925417, 0.3473840844846041, -0.45188638471230197, -0.1687435304713265, 0.09717554123949408, 0.7205683433797332, -0.30578564628815974, -0.43162418365477695, -0.22531487940161515, 0.38770888045526514, -0.09400220275673032, 0.5297388076947829], [-0.7490118070424097, 0.4514092567601912, 0.41394649597181554, -0.567466275920594, 0.061432754614383106, 0.48630305407781454, 0.03516761692380895, 0.39988056886071205, 0.9499547653268575, 0.10957290183693197, -0.11215292557717516, -0.3084208639278123, 0.2592258406177941, -0.07869202654308949, -0.07149854831762713, -0.04210391136601276], [0.2599478610341976, -0.4265358448659651, -0.6119505962682226, -0.9735506788595756, 0.47946835975603136, 0.02951734383330651, 0.6040477652489384, -0.003582519244159584, -0.2968621820796709, 0.19117171951986242, -0.030635365174878627, -0.5016746647894523, -0.3540266325803088, 0.7067117269938352, 0.14174023812941025, 0.16655461401207114], [-0.11062068732840463, -0.27588782550643676, 0.3566623262283737, -0.04185058106947667, -0.3036432446991721, -0.05365140773981915, -0.36224240668894053, 0.07601833543644478, 0.45169105202761606, -0.3344340664572986, 0.5714176020683136, -0.267047979464583, 0.06136486508957594, -0.3345546101216753, -0.08889406654173403, 0.018961764997650492], [-0.17387397846937086, -0.2811551582290021, -0.27115447626546446, -0.3284639797003439, -0.6280319971697716, -0.10518784443098378, 0.16046328384405495, 0.3633607700370998, 0.25884109141844175, 0.9829346089369697, 0.1274726540311366, -0.1825335575728072, 0.7486538548064271, -0.4188872374376331, 0.3873910438088872, -0.3820579078898744], [0.14164466304060105, -0.7873587008951464, 0.359709483060243, -0.06329904610862613, -0.38707258868968364, 0.6713676155048639, 0.3061418735064485, 0.018323134311750307, -0.2981773555160511, -0.017345036064701034, -0.06557150518207837, 0.28991059741643727, 0.31923007246391716, -0.2671025519050932, -0.21974822430282065, -0.21282613111144438], [-0.539726898503161, -0.23662995315648644, -0.03696322608255747, 0.2763807778422565, 0.5281517957467114, -0.3233383510237326, 0.22039061275252048, -0.1777827302822175, 0.8300751105261561, -0.019489417850281465, 0.20085078816344573, -0.3744648612551331, -0.324275785719778, 0.08067812034825511, -0.15362178019845074, 0.14131543702821647], [-0.6247296477142967, 0.2648019880595752, -0.35979214311189345, 0.6889693585465182, -0.11538689682718956, 0.4389060147543849, -0.5579933291452076, 0.17157849780595633, -0.3552118603178351, -0.19475562747437303, 0.009838552876500326, -0.12682998677384902, 0.10570225005859298, 0.2990621715224822, 0.2611128556359429, -0.034992593157382755], [-0.54537220399374, -0.3218584426035318, -0.07830248339110568, -0.848730389040794, 0.3008322356883119, -0.09585527693161061, -0.1005277194427541, 0.3793504842548352, 0.26716420249976885, 0.08840038652900714, -0.4005334348933852, 0.12416863051456235, 0.1384710154226905, -0.35390933350689785, 0.4173247380781687, 0.20315487288263295], [-0.7878497466064924, 0.048779779868118066, -0.5058791975894165, 0.4545260593027455, 0.3228111830170333, -0.4414363000253365, -0.3539490798590219, 0.040741313897580074, -0.09552432726339723, 0.6100812320693081, 0.29638952687167097, -0.11297089890867956, 0.23095837347055823, -0.812911722605361, 0.12394587496674213, 0.34656282360074586], [-0.0715810044303715, -0.28408567652302336, 0.22633338134942635, 0.783445891046187, 0.08194757367468176, -0.4482710652661028, 0.5783219151677802, -0.7514189921553459, 0.20128194213271092, -0.23278185966421414, 0.3722393724356443, -0.3397897471292085, 0.5295391223411093, 0.12010923616818443, -0.6907362525759102, -0.7895252112819136], [-0.12643820506598408, 0.5176846513642377, 0.05081201409735256, 0.02684828100152109, -0.09436153346706559, 0.2951600679712036, 0.1509307186779561, 0.11213834945690818, -0.39388917654316336, 0.4751413233427932, 0.5452321650901565, -0.5205414080899942, 0.9205980531379823, 0.289002635901399, -0.1952023985525882, -0.761742362457413], [0.262738567212116, 0.22300454935973002, -0.23825272973205047, -0.7162213067937689, 0.4497907031536752, -0.23532758123747521, -0.18869803009586583, 1.1382580298038103, 0.8511888787799125, 0.38149469259724067, -0.18216840954632527, 0.2597845095913724, -0.9125879109151399, 0.042613080631010464, -0.30392731271292445, -0.5142420574658638], [-0.6331217856951507, 0.21005663915004755, 0.035720149325362806, 0.06388946560006063, 0.3369504221026354, -0.3384335074661464, -0.49423378178756466, -0.7105461539672974, -0.13407862957067795, 0.30406248342099373, -0.05976941011041917, 0.2564512761406931, -0.4724214854419261, -0.18764853274868581, -0.3063746725525367, -0.49935112409427707]], dtype=torch.float64), b=torch.tensor([0.7437894149043629, 0.3408563089071204, -0.30472022091085615, -0.3064068832759073, -0.022878741522073663, -0.5768215611074302, 0.17433086635377437, -0.5176955100653123, -0.1481731899483614, -0.4099290496511854, -0.1919393158939321, -0.532462872225994, -0.6291288108105357, -0.38645635109074367, -0.2720039430680008, -0.11795577188105143], dtype=torch.float64), c=torch.tensor([0.0027593452856340354, 0.06107584439385574, 0.0324900732224767, -0.010115968067456987, 0.029036733389476956, -0.027555890581634022, 0.05793965546467781, 0.021979078497636393, -0.05423357338686196, 0.030215420938947246, 0.03264369410471129, -0.1074238115860973, -0.029923798170045295, -0.018952900784738467, -0.07714049007200909, -0.042687099692504865], dtype=torch.float64), A=torch.tensor([[-0.3793432752771366, 0.20283832214629785, 0.12018527109220603, 1.050469531447438, -0.15770376135364578, 0.4612923975364515, 0.03153859015222564, 0.1083703115882994, -0.46385192691447225, -0.7643599111769805, -0.30685929032688236, 0.3048674286853235, 0.6331222448101865, 0.24159642034611287, 0.19931236393727994, -0.3355067415897438], [0.6137175381263736, 0.5375225281587414, -0.2123329948676553, -0.01854826767754943, -0.3984207693859143, 0.586882754153551, 0.16254166761192668, -0.03802586766414897, 0.1627600001691588, 0.17624891614740962, -0.1645986813611423, -0.4966260742971786, -0.5134981474859593, -0.6953466052446019, 0.18450120819873178, 0.8874167354536029], [-0.6796277190546192, 0.055314983529955765, 0.16439357704243449, -0.393850270904599, 0.08177032082695644, -0.43877475956735146, 0.48016084759525013, -0.23769962252462667, 0.040224153396506306, 0.2736966339978159, -0.17192774767692612, -0.7164923291364182, -0.21250226357417723, 0.3051981070585641, -0.03381306291736942, 0.09191567358558372], [-0.4321607227619814, 0.057289164326217216, 0.29126679596752675, 0.014579208196247495, 0.7632058361280469, -0.08311743130421581, -0.41654009453493424, -0.6470636969384431, 0.46080235647707374, -0.02360729751859708, 0.40464871194497615, 0.18306756750883418, 0.6500337162303187, 0.5064429451044526, -0.15102182486733237, 0.10955396036567729], [0.4341487970692228, -0.49443005762214, 0.5803583900243245, 0.484797336924889, 0.39317034532457507, -0.08037286436679912, 0.12085641589717336, -0.446895696360882, 0.023181669534181368, -0.2349518085757689, 0.03462558613696469, -0.19785050512039126, 0.11352140476768763, 0.47173287053399027, -0.5238412735658605, 0.37015635020956444], [-0.7967250278070025, -0.8644133402108602, -0.04774747055923711, 0.0026917526556418103, 0.1771203414583443, -0.6589541080669785, -0.023975457098062973, 0.05060987889105039, 0.5020819932684694, -0.041535834202628547, 0.211596699328583, -0.3909702201314128, -0.07502185352003803, -0.17821412845539522, 0.28132175146463173, -0.39552771093728534], [-0.33372898285200625, 0.23039526741878347, 0.7157746648625235, 0.15308133221181144, 0.12142411737137478, -0.13845695743516978, 0.43537009155814144, 0.2159667826627271, 0.6932770877445081, 0.13228460413796175, -0.3794707671110794, -0.2279766003291039, -0.39496182123423185, -0.500328357164146, 0.5054869706126784, 0.32293476323930115], [-0.495457750323659, 0.7125282731561374, 0.09782429046643963, -0.3827567954401493, 0.15448877657586493, -0.027677702141972512, -0.30906190166262526, -0.7771737169690512, 0.014687961769813122, 0.11679833916056503, -1.0316309522131124, 0.22196293166530548, 0.2470533261094492, -0.18791824296030998, 0.04484922196457469, -0.11226326491557821], [-0.3348410263612924, -0.1440219921956485, 0.5406415338699054, -0.5802468349722669, 0.09487691230399797, 0.07364710224570217, -0.2830521216187129, -0.17613568224464102, -0.5601653615374957, -0.3407848758101745, 0.005980731994854212, 0.1306863613525298, -0.3593507209346704, 1.222536979430629, -0.22813781990421855, 0.05093200163544274], [-0.09223203245464454, -0.15991191386027573, 0.5204275691871633, -0.1915245523038533, 0.5337555259461951, 0.4567265129780945, -0.4182660650406259, 0.4141973975899587, -0.2601512340807776, 1.0945834903449794, -0.15433214691513442, -0.3763704936814781, -0.7644305082487524, -0.5172180647626718, -0.2322595648462234, -0.39921112120278945], [-0.4914747584617361, -0.2781358920395656, -0.08261909751963151, 0.5797389498569392, -0.6813179555234717, -0.22065639939564413, -0.3815574420801745, -0.6060591177388618, -0.5064546626081684, -0.36229393605913185, 0.28681737450203404, -0.07756023024740805, -0.21519404500257347, 0.24451667785962852, 0.11230779703937416, -0.08933153767179769], [0.15371433730443163, -0.3313403941361729, 0.2509525367796414, 0.186769979301033, -0.16492171004631076, -0.48779046700132445, 0.6080257440970028, 0.03768040536773923, 1.2205059961519173, -0.2613636282132718, 0.3411372060717997, -0.17368766453034437, 0.10146722128845559, 0.33335648485822666, -0.31972312457649066, -0.04003618594466954], [0.06437663735905204, 0.045392041410838774, 0.23858041147996675, 0.4102252678788605, 0.33345133554197304, 0.10520502242732047, -0.13894917897129508, -0.45187343295208016, -0.29419938361959974, -0.21141951486713131, 0.27308562532201475, -0.1454440714830547, -0.4969355067698631, 0.2505388611098089, -0.3213002789222627, -0.3063314415566949], [-0.09050856455583468, 0.18927113845202415, -0.9652734008271238, -0.44858159476374015, 0.0702356597095014, -0.14566439976000628, -0.3458178060941899, -0.21658115362801583, 0.5541016059125569, -0.18229130812063246, 0.2850659853989741, 0.31674763283820645, -0.1800884065518747, 0.17737562694333484, -0.1800950464261478, -0.24416700360928717], [-0.4503977443350771, 0.3499825006043977, -0.1592637359908169, -0.22085696262581656, -0.4509779677353743, 0.723537985143514, 0.2967222448177206, -0.05312178973544556, -0.2778937490041626, -0.6119199982844362, 0.1167254687171889, 0.1153687246437277, -0.5633602743732368, 0.4646201441924742, 0.3103825472573867, -0.38482949738218775], [-0.22227861595028386, -0.17092825061408978, 0.06427158422191952, -0.05822777015835323, -0.6555756365940731, 0.5896389905762238, 0.12652416792509344, 0.5043093490887934, 0.5019289387462567, -0.08316032666512763, 0.13678485425637663, 0.29466584474557356, 0.3078453712995326, -0.06556750403960927, -0.2472741886423919, 0.014114627854483612]], dtype=torch.float64), time='index'), 'y': torch.tensor([[-0.7350519299507141, -0.42135047912597656, 0.47430694103240967, -0.669113278388977], [0.01191280409693718, -0.7894932627677917, 0.6095299124717712, 0.8096851110458374]], dtype=torch.float32), 'op': TestOperator(torch.tensor([[0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5]], dtype=torch.float64), torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), torch.tensor([0.5, 0.5, 0.5, 0.5], dtype=torch.float64), shape=(1, 4, 4)), 'alpha_bar': torch.tensor([0.99, 0.9649894736842105, 0.9258820055401662, 0.8742275357573991, 0.8121113687430576, 0.7420133348094462, 0.666640401326171, 0.5887487333817447, 0.5109719270244721, 0.43567080093665517, 0.36481697067906227, 0.2999179516845764, 0.24198643154339772, 0.19155136475856324, 0.14870434895730567, 0.11317183610119158, 0.08440236408178341, 0.06165814807658704, 0.04410180170320094, 0.030871261192240654], dtype=torch.float64), 'eta': 0.5, 'noise': torch.tensor([[[[-1.4403271675109863, -0.09142686426639557, 0.2608817219734192, 0.3925718367099762], [0.394599586725235, -1.823014259338379, 1.8469828367233276, 0.21113361418247223], [1.8059897422790527, 2.8630990982055664, -0.16055737435817719, -1.2337627410888672], [0.8641305565834045, -0.18083356320858002, -0.45140981674194336, -1.0332863330841064]]], [[[1.6877845525741577, -0.442674458026886, -1.3995847702026367, -0.44757139682769775], [-1.1572588682174683, 0.15790416300296783, -0.4193645715713501, -1.0574241876602173], [0.6017661690711975, -0.6434339284896851, 0.723761260509491, 1.2609834671020508], [-0.3619527816772461, -0.646514356136322, 0.19929607212543488, 0.8914495706558228]]]], dtype=torch.float32)}, outputs=[torch.tensor([[[[-5.56059805703309, -3.641509093572854, 1.3834243260355947, -0.2508662867210209], [-2.479375451890902, -1.5565290858444492, 3.7125848648845365, -3.480519082365011], [6.492300909694511, -1.0736427352962976, -4.0837121851755205, 1.0250251534303523], [5.162165746649937, -0.9082868360020889, 0.7546354468194676, -1.4443793573752557]]], [[[0.03640570947422961, 0.253237867233867, -0.5029390315163077, -1.3130665203447673], [0.8919162951903685, -2.563538254527201, 0.1362155124641672, -0.7660163861982943], [2.8207216524585443, 0.7515023875799083, 0.29029768351453056, 0.059995450126173244], [1.5457310300525835, -0.12728903847295303, 1.5142950820755166, 2.8552334477452037]]]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('H_T_not_pinv', 'this uses H^T where ΠGDM uses the pseudo-inverse H^+; they agree only when every singular value is 1 (H^T multiplies by s_i where H^+ divides by it).', (torch.tensor([[[[-1.9135234355926514, -0.8089343309402466, 0.9206981658935547, -0.38864490389823914], [1.1709953546524048, 1.2480624914169312, 1.4345192909240723, -0.7235912084579468], [0.5224343538284302, -1.7943874597549438, -1.3305034637451172, 2.9509670734405518], [0.5807605981826782, -1.089045524597168, 0.3181689977645874, -2.0931973457336426]]], [[[0.7853391170501709, 0.12336105108261108, 0.05248790979385376, -0.18463143706321716], [1.854580044746399, -1.5769624710083008, 0.0062444694340229034, 0.29076912999153137], [-0.2087327241897583, -0.9419832229614258, 1.6612513065338135, 0.4660037159919739], [-1.6210193634033203, -0.6979478597640991, 0.6632498502731323, 1.8921750783920288]]]], dtype=torch.float32),)), ('weight_sqrt_ab_prev', "the guidance term is weighted by sqrt(alpha_bar) of t_prev; the step of the notebook's Question 9 (the paper's Algorithm 1) weights it by sqrt(alpha_bar_t) of the current step.", (torch.tensor([[[[-6.7130327224731445, -4.536569595336914, 1.5296413898468018, -0.20732899010181427], [-3.632850408554077, -2.4427473545074463, 4.432426929473877, -4.351676940917969], [8.37870979309082, -0.8458954095840454, -4.9536943435668945, 0.41645073890686035], [6.609836101531982, -0.8511688709259033, 0.8925530910491943, -1.239361047744751]]], [[[-0.10379016399383545, 0.2775498628616333, -0.6069113612174988, -1.5243024826049805], [0.7117117643356323, -2.7482192516326904, 0.16054560244083405, -0.9638396501541138], [3.3878164291381836, 1.068511962890625, 0.03366351127624512, -0.016006827354431152], [2.1385273933410645, -0.02046525478363037, 1.6736050844192505, 3.0355122089385986]]]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

