from otter.test_files import test_case

OK_FORMAT = False

name = "ddim_invert"
points = 3

@test_case(points=None, hidden=False)
def test_ddim_invert(ddim_invert):
    """The public cases of ddim_invert: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'ddim_invert': ddim_invert}
    cases = [('ddim_invert', dict(what='leading spacing, 3 of 9 steps', inputs={'eps_model': TestModel(W=torch.tensor([[-0.551669224532766, -0.3625123201222199], [-0.39090262865902836, 0.13348792819719624]], dtype=torch.float64), b=torch.tensor([-0.12429036471944542, 0.06324152575592491], dtype=torch.float64), c=torch.tensor([0.09367139675603754, 0.09532628327508538], dtype=torch.float64), A=torch.tensor([[0.23759182097429257, -0.2253842990412084], [-0.37746614091187564, -0.40740705366954555]], dtype=torch.float64), time='index'), 'x0': torch.tensor([[-0.3438548577942607, -0.05138009378693365], [-0.972273677374357, -1.1344875329570228], [0.30570521940427436, -1.8516850300587613]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8728124999999999, 0.7746210937499999, 0.6632693115234374, 0.5471971820068358, 0.43433776321792583, 0.3311825444536684, 0.242177235631745, 0.1695240649422215], dtype=torch.float64), 'timesteps': torch.tensor([6, 3, 0], dtype=torch.int64)}, outputs=[torch.tensor([[0.0014370059752398245, 0.41646413020513057], [-0.0208415124363725, 0.17229875487445467], [0.9289228288742832, -0.7440733097682537]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('invert_eps_at_source', "the noise is predicted with the current index (where x_s is); the contract (diffusers' inverse scheduler) calls eps_model(x_s, t) with the target index t of each step.", (torch.tensor([[-0.14140807351037965, 0.3048409408761871], [-0.12288048401578966, 0.05209145886878963], [0.7939165632769434, -0.8934575033524574]], dtype=torch.float64),)), ('invert_skips_first_step', 'x0 is taken as the point at the smallest index of timesteps, so the first step (from x0, where alpha_bar is 1, up to timesteps[-1]) is missing.', (torch.tensor([[0.01744483077978526, 0.3845581742800591], [-0.06972092564270382, 0.1135614872416032], [0.862748724354296, -0.7286848596311603]], dtype=torch.float64),)), ('invert_x0_pred_at_target', 'x0_pred is computed with alpha_bar of the target index; the current point x_s is noised to level s (1 for x0), so predicting x0 from it uses alpha_bar at s.', (torch.tensor([[-0.34385485779426067, -0.051380093786933645], [-0.9722736773743568, -1.1344875329570228], [0.3057052194042744, -1.8516850300587615]], dtype=torch.float64),))])), ('ddim_invert', dict(what='trailing spacing, 3 of 10 steps', inputs={'eps_model': TestModel(W=torch.tensor([[0.017096383626592083, 0.6798737701549808], [0.6123605392929662, -0.25515353839383376]], dtype=torch.float64), b=torch.tensor([-0.14898475555322355, -0.2636920965167126], dtype=torch.float64), c=torch.tensor([0.056972635757196015, -0.00560644390456176], dtype=torch.float64), A=torch.tensor([[0.37344280812827196, -0.9236623994870548], [0.7832743873497603, -0.048216080077810274]], dtype=torch.float64), time='index'), 'x0': torch.tensor([[0.6803784532741461, -0.13656633397682774], [-0.3790985670748533, 0.46311015859758675], [0.824513527530113, -0.20252987069345152]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8761111111111112, 0.7836327160493828, 0.6791483539094652, 0.5697300080018292, 0.46211433982370587, 0.36198956619523626, 0.2735032277919563, 0.19904957133747933, 0.1393346999362355], dtype=torch.float64), 'timesteps': torch.tensor([9, 6, 2], dtype=torch.int64)}, outputs=[torch.tensor([[0.6153520233174663, 0.5051426178485363], [-0.051196752766790754, -0.5333371027647298], [0.6916711332483112, 0.6494919207214492]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('invert_eps_at_source', "the noise is predicted with the current index (where x_s is); the contract (diffusers' inverse scheduler) calls eps_model(x_s, t) with the target index t of each step.", (torch.tensor([[0.44912468613568113, 0.4123165117811752], [-0.2435874377225658, -0.6230262585602844], [0.5327886366385257, 0.5582633398617378]], dtype=torch.float64),)), ('invert_skips_first_step', 'x0 is taken as the point at the smallest index of timesteps, so the first step (from x0, where alpha_bar is 1, up to timesteps[-1]) is missing.', (torch.tensor([[0.6635800192774802, 0.4042610631869591], [-0.07763110099111786, -0.3640073393163495], [0.7574901566817527, 0.513536265072074]], dtype=torch.float64),)), ('invert_x0_pred_at_target', 'x0_pred is computed with alpha_bar of the target index; the current point x_s is noised to level s (1 for x0), so predicting x0 from it uses alpha_bar at s.', (torch.tensor([[0.6803784532741461, -0.13656633397682783], [-0.37909856707485323, 0.46311015859758686], [0.824513527530113, -0.20252987069345152]], dtype=torch.float64),))])), ('ddim_invert', dict(what='linspace spacing, 4 of 10 steps, images (B, C, H, W)', inputs={'eps_model': TestModel(W=torch.tensor([[-0.0034133899327615895, 0.5230716461524513, 0.3707942106442414, 0.3619782708249953], [0.8093881116670382, -0.6027790713231644, -0.31347773553818664, -0.6603316058025626], [-0.05387625397401494, 0.4993818276585113, -0.010973943135190125, 0.24794003323211086], [-0.9553843320883235, 0.07353208293916383, -0.45347162562964816, 0.8876946936230704]], dtype=torch.float64), b=torch.tensor([0.4434245382293962, 0.47467474162901685, -0.028927481250484735, 0.30643113714004677], dtype=torch.float64), c=torch.tensor([0.06578901620545004, -0.034440266642056315, -0.04973720354958555, -0.011477278340686991], dtype=torch.float64), A=torch.tensor([[-0.3027260046752174, -0.2971697087524269, -0.1416876878019789, -0.3642088635917264], [0.38316389297270026, -0.7980431668977168, 0.41178106430784595, -0.31278323512922535], [-0.2729699778470554, -0.675423570932895, -0.07212105942448506, -0.12383075463368369], [0.09572791526902821, -0.26688714796246726, 0.04687808965173329, 0.9098459190645468]], dtype=torch.float64), time='index'), 'x0': torch.tensor([[[[0.40899969445359535, -0.5736900371557184], [0.9531095952386714, -0.12880113396915818]]], [[[0.5938744680979048, 0.6127474289476967], [-0.3910657167609224, -1.9302874975259847]]]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8761111111111112, 0.7836327160493828, 0.6791483539094652, 0.5697300080018292, 0.46211433982370587, 0.36198956619523626, 0.2735032277919563, 0.19904957133747933, 0.1393346999362355], dtype=torch.float64), 'timesteps': torch.tensor([9, 6, 3, 0], dtype=torch.int64)}, outputs=[torch.tensor([[[[0.7154481766004326, 0.7154359839609983], [-0.279566776584222, -1.2292398073460715]]], [[[0.8838077086966141, 1.3171843578408036], [-1.1086082659510241, -4.8121148428597635]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('invert_eps_at_source', "the noise is predicted with the current index (where x_s is); the contract (diffusers' inverse scheduler) calls eps_model(x_s, t) with the target index t of each step.", (torch.tensor([[[[0.6504082003626593, 0.7257590880692597], [-0.157941359922667, -1.2071996814212125]]], [[[0.7554303265470801, 1.313202703004643], [-1.0082115673221228, -4.815887610281011]]]], dtype=torch.float64),)), ('invert_skips_first_step', 'x0 is taken as the point at the smallest index of timesteps, so the first step (from x0, where alpha_bar is 1, up to timesteps[-1]) is missing.', (torch.tensor([[[[0.6725461518047711, 0.61608482819115], [-0.19056495686445285, -0.9288492166163524]]], [[[0.86184944131749, 1.1784067783451022], [-0.9892491803494315, -3.966776678040972]]]], dtype=torch.float64),)), ('invert_x0_pred_at_target', 'x0_pred is computed with alpha_bar of the target index; the current point x_s is noised to level s (1 for x0), so predicting x0 from it uses alpha_bar at s.', (torch.tensor([[[[0.40899969445359535, -0.5736900371557183], [0.9531095952386714, -0.1288011339691582]]], [[[0.5938744680979048, 0.6127474289476967], [-0.3910657167609224, -1.9302874975259847]]]], dtype=torch.float64),))])), ('ddim_invert', dict(what='float32 data, 3 of 8 steps', inputs={'eps_model': TestModel(W=torch.tensor([[0.9133782799787116, -1.5391659550990169], [0.47903198765442345, 0.03481861383047241]], dtype=torch.float64), b=torch.tensor([0.6591250120905342, 0.1928146249991945], dtype=torch.float64), c=torch.tensor([0.2284073284482719, 0.0039679698939708], dtype=torch.float64), A=torch.tensor([[-0.2581147222462404, 0.2902424606698589], [0.21605343066886942, -0.17841967870167547]], dtype=torch.float64), time='index'), 'x0': torch.tensor([[-0.2473038285970688, 0.7194406986236572], [0.7043160200119019, -0.4939342439174652], [-0.36771371960639954, -1.8067903518676758]], dtype=torch.float32), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'timesteps': torch.tensor([7, 4, 2], dtype=torch.int64)}, outputs=[torch.tensor([[0.5003899327234342, 0.38567916019291604], [0.9777424402828641, 0.46018259969984515], [0.3762380241806792, -0.48509489191591204]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('invert_eps_at_source', "the noise is predicted with the current index (where x_s is); the contract (diffusers' inverse scheduler) calls eps_model(x_s, t) with the target index t of each step.", (torch.tensor([[0.18204432725906372, 0.2623540759086609], [0.9627398252487183, 0.4507717788219452], [0.3739315867424011, -0.49381279945373535]], dtype=torch.float32),)), ('invert_skips_first_step', 'x0 is taken as the point at the smallest index of timesteps, so the first step (from x0, where alpha_bar is 1, up to timesteps[-1]) is missing.', (torch.tensor([[0.44080910086631775, 0.4053674340248108], [0.8251962661743164, 0.2076910138130188], [0.19530966877937317, -0.7503644227981567]], dtype=torch.float32),)), ('invert_x0_pred_at_target', 'x0_pred is computed with alpha_bar of the target index; the current point x_s is noised to level s (1 for x0), so predicting x0 from it uses alpha_bar at s.', (torch.tensor([[-0.2473037838935852, 0.7194406986236572], [0.7043160200119019, -0.4939342737197876], [-0.36771368980407715, -1.8067905902862549]], dtype=torch.float32),))])), ('ddim_invert', dict(what='the cosine schedule (T = 8), leading spacing, 3 steps', inputs={'eps_model': TestModel(W=torch.tensor([[0.3477598850190843, -0.4897370841793657], [-0.7867451664738534, -1.4624852859204325]], dtype=torch.float64), b=torch.tensor([-0.17661608179134528, 0.6238031863055623], dtype=torch.float64), c=torch.tensor([0.004134077933661856, 0.06398050346010287], dtype=torch.float64), A=torch.tensor([[0.5116191068317324, -0.4410729240299467], [1.3261433485847727, -0.4384541261281901]], dtype=torch.float64), time='index'), 'x0': torch.tensor([[0.3735530621878692, 2.7395808181161874], [-0.11425241215164042, 0.11429451370904192], [-0.5118795445527522, 0.33452648360440757]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.9578045910130173, 0.8470121613269046, 0.6842265658100488, 0.49384359044063764, 0.30439488942465887, 0.14427210238573576, 0.03747195477386678, 3.7471954773866814e-05], dtype=torch.float64), 'timesteps': torch.tensor([4, 2, 0], dtype=torch.int64)}, outputs=[torch.tensor([[-1.2749867056446933, -0.024793469821511982], [-0.5349930407216313, 0.20615713923263734], [-1.1007991912981707, -0.11497280289753947]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('invert_eps_at_source', "the noise is predicted with the current index (where x_s is); the contract (diffusers' inverse scheduler) calls eps_model(x_s, t) with the target index t of each step.", (torch.tensor([[-1.277075655226938, -0.07847041911803809], [-0.5270311740102592, 0.16796529633160234], [-1.0964388152786588, -0.13688920155575324]], dtype=torch.float64),)), ('invert_skips_first_step', 'x0 is taken as the point at the smallest index of timesteps, so the first step (from x0, where alpha_bar is 1, up to timesteps[-1]) is missing.', (torch.tensor([[-1.0853301503192028, 0.12957666027033565], [-0.4257107069588978, 0.2488573110467749], [-0.9562491262484061, 0.0008534192692818132]], dtype=torch.float64),)), ('invert_x0_pred_at_target', 'x0_pred is computed with alpha_bar of the target index; the current point x_s is noised to level s (1 for x0), so predicting x0 from it uses alpha_bar at s.', (torch.tensor([[0.3735530621878691, 2.7395808181161874], [-0.11425241215164042, 0.11429451370904192], [-0.5118795445527522, 0.3345264836044075]], dtype=torch.float64),))]))]
    depends = []
    run_cases(functions, cases, depends)

