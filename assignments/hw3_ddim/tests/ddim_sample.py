from otter.test_files import test_case

OK_FORMAT = False

name = "ddim_sample"
points = 3

@test_case(points=None, hidden=False)
def test_ddim_sample(ddim_sample, ddim_sigma, ddim_step):
    """The public cases of ddim_sample: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'ddim_sample': ddim_sample, 'ddim_sigma': ddim_sigma, 'ddim_step': ddim_step}
    cases = [('ddim_sample', dict(what='leading spacing, 3 of 9 steps, eta = 0', inputs={'eps_model': TestModel(W=torch.tensor([[0.06286511054669665, -0.06605243164565094], [0.32021132522164103, 0.052450058576519853]], dtype=torch.float64), b=torch.tensor([-0.2678346865805555, 0.18079752745474237], dtype=torch.float64), c=torch.tensor([0.14488889390334858, 0.10523121812547134], dtype=torch.float64), A=torch.tensor([[-0.3518676179034963, -0.6327107355230263], [-0.3116372312686761, 0.0206629896736218]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[-2.3250307746388343, -0.21879166393254573], [-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8728124999999999, 0.7746210937499999, 0.6632693115234374, 0.5471971820068358, 0.43433776321792583, 0.3311825444536684, 0.242177235631745, 0.1695240649422215], dtype=torch.float64), 'timesteps': torch.tensor([6, 3, 0], dtype=torch.int64), 'eta': 0.0, 'noise': torch.tensor([[[0.4116305363741328, 1.0425133694426776], [-0.12853466294403426, 1.3664634705496859], [-0.6651946734866135, 0.3515100700930197]], [[0.9034701816518086, 0.09401229776087457], [-0.7434992493538084, -0.9217253762584194], [-0.45772582566733916, 0.2201951234700494]], [[-1.009618183538736, -0.20917557487171307], [-0.15922500991447772, 0.5408455846858077], [0.2146591225063409, 0.3553727090399214]]], dtype=torch.float64)}, outputs=[torch.tensor([[-6.458258981706165, -1.3967152208618563], [-4.620195705695221, -2.0639102207886695], [-2.426809674194063, -1.2887781568792012]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sample_no_final_step', 'the loop stops at timesteps[-1]; the last step goes from timesteps[-1] to t_prev = -1 (alpha_bar = 1), so S indices make S steps.', (torch.tensor([[-5.78603826173172, -1.1736487204575348], [-3.9991354110851676, -1.9283571192597129], [-2.095566887040673, -1.2284928354315923]], dtype=torch.float64),))])), ('ddim_sample', dict(what='trailing spacing, 3 of 10 steps, eta = 1', inputs={'eps_model': TestModel(W=torch.tensor([[0.172792096032393, 0.4108090717505792], [0.16521853809169357, -0.6515786158021805]], dtype=torch.float64), b=torch.tensor([0.45267793333655887, 0.22318728618200565], dtype=torch.float64), c=torch.tensor([-0.053695323536028516, 0.05811181041963531], dtype=torch.float64), A=torch.tensor([[0.18228619809303787, 0.147066248327763], [0.014211120657898394, 0.27335649330622347]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276], [0.03972210748165899, -0.2924567509650886]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8761111111111112, 0.7836327160493828, 0.6791483539094652, 0.5697300080018292, 0.46211433982370587, 0.36198956619523626, 0.2735032277919563, 0.19904957133747933, 0.1393346999362355], dtype=torch.float64), 'timesteps': torch.tensor([9, 6, 2], dtype=torch.int64), 'eta': 1.0, 'noise': torch.tensor([[[-0.7819084623568421, -0.2571922406188707], [0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]], [[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356], [0.2136429974986111, 0.21732193102256359]], [[2.1178387550510482, -1.1120207626922813], [-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], dtype=torch.float64)}, outputs=[torch.tensor([[-1.6404976313421626, -3.252469891413189], [-1.509374897434399, -0.02545643587840971], [1.614304546068435, -1.7645590874316606]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sample_prev_t_minus_stride', "the previous index is taken as t - T // S (diffusers' DDIMScheduler.step does this), which holds only for the leading spacing; the previous index is the next entry of timesteps (-1 after the last).", (torch.tensor([[-1.8430854261651306, -3.1597134082205565], [-1.4327792535552615, -0.037307925722711605], [1.507917454502081, -1.5598004793565088]], dtype=torch.float64),)), ('sample_no_final_step', 'the loop stops at timesteps[-1]; the last step goes from timesteps[-1] to t_prev = -1 (alpha_bar = 1), so S indices make S steps.', (torch.tensor([[-2.2194322481661564, -2.8106303349645216], [-1.4035707966031976, 0.015353626593297642], [1.4992360654447512, -1.3024316946634942]], dtype=torch.float64),)), ('sample_noise_reversed', 'noise[S-1-i] is used at step i; step i (from timesteps[i]) uses noise[i].', (torch.tensor([[1.0310868845947838, -4.165418423003464], [-3.177953827565495, 3.27122058022922], [1.3607469703793482, -2.0701348809333697]], dtype=torch.float64),))])), ('ddim_sample', dict(what='linspace spacing, 4 of 10 steps, eta = 0.5, images (B, C, H, W)', inputs={'eps_model': TestModel(W=torch.tensor([[0.09452669089676653, -0.2613742207403737, -0.20653177169594672, -1.2207336913199278], [0.899853691360451, 0.5720829360186144, -0.16271141843391218, 0.3869032933638307], [0.14060533489882462, -0.2769114182120262, 0.48878372556301786, -0.15527827332957628], [-0.16441195202898135, -0.3960733776794491, 0.22747903562042773, -0.049599025858693975]], dtype=torch.float64), b=torch.tensor([0.27264435698234085, -0.30359284993531854, 0.06341392355593493, -0.44613702171489517], dtype=torch.float64), c=torch.tensor([0.08414649723701431, 0.0188035086980686, 0.033057100813532615, 0.041050391297026284], dtype=torch.float64), A=torch.tensor([[-0.5053787500766672, 0.39159049807203866, 1.0283514091711843, -0.8192212516177626], [-0.8647057335772408, -0.75241570693216, 0.4207294467269999, 0.06435782873703423], [0.539171220369649, 0.3612154361537495, 0.10528590618764029, 0.14201907262518543], [-0.08488024886156771, 0.4342301056057551, -0.5648579808903774, -0.2109294130891581]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[[[0.2429388530987352, 1.8014208584493328], [-0.7644641157203993, -1.0790604591369424]]], [[[-0.5632871985040379, 0.9692722011381628], [-0.23500550689182578, 1.324347019236957]]]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8761111111111112, 0.7836327160493828, 0.6791483539094652, 0.5697300080018292, 0.46211433982370587, 0.36198956619523626, 0.2735032277919563, 0.19904957133747933, 0.1393346999362355], dtype=torch.float64), 'timesteps': torch.tensor([9, 6, 3, 0], dtype=torch.int64), 'eta': 0.5, 'noise': torch.tensor([[[[[-1.872529517606024, 1.128523141900478], [1.0348662399295387, -1.4186656898014849]]], [[[0.15358188653595775, 1.2157576351945363], [0.08791904230952238, 0.99970142215178]]]], [[[[2.3748869133171437, 0.2739322545923299], [-0.2803823139429379, -0.7710521598195307]]], [[[0.6480646015444852, -0.19673006635772372], [-0.17874637079406783, -0.1052597784150319]]]], [[[[0.6498696525854939, -1.0663396121649127], [-1.5298764906705564, -2.4338766971489387]]], [[[1.1986708993900783, 0.07379335958326627], [1.5101194131223459, -0.00895629811039896]]]], [[[[-0.7421554551991772, 0.477929298799656], [-0.07658841293719656, -1.2541866619736308]]], [[[-0.885066581450772, 1.766779317484588], [0.3543505953235256, 0.4163865350301778]]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[-12.993193898958115, 11.076433386023583], [-0.110463069845936, -10.242092842762082]]], [[[6.437831243296104, 6.362013251506137], [-2.3724712360759415, 4.591279066720412]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sample_prev_t_minus_stride', "the previous index is taken as t - T // S (diffusers' DDIMScheduler.step does this), which holds only for the leading spacing; the previous index is the next entry of timesteps (-1 after the last).", (torch.tensor([[[[-6.955689911112808, 7.822448179953304], [-0.6384624228457515, -6.683297124541409]]], [[[3.6539865428441423, 3.781167893902061], [-1.0993817846117526, 3.635480563128222]]]], dtype=torch.float64),)), ('sample_no_final_step', 'the loop stops at timesteps[-1]; the last step goes from timesteps[-1] to t_prev = -1 (alpha_bar = 1), so S indices make S steps.', (torch.tensor([[[[-9.142583172146082, 10.38687142974386], [-0.8849155160463571, -8.509644867487763]]], [[[4.745071802585799, 4.652107464660796], [-1.468980496145345, 4.582770409102253]]]], dtype=torch.float64),)), ('sample_noise_reversed', 'noise[S-1-i] is used at step i; step i (from timesteps[i]) uses noise[i].', (torch.tensor([[[[-11.33529315366606, 10.929278500463614], [-1.0706689436296855, -10.68875264856274]]], [[[4.594345287237574, 5.95009965624657], [-1.540365847508616, 4.311723152816775]]]], dtype=torch.float64),))])), ('ddim_sample', dict(what='float32 data, trailing spacing, 3 of 8 steps, eta = 0', inputs={'eps_model': TestModel(W=torch.tensor([[1.0204595606925912, -1.2778325156570909], [0.20904942336288942, -0.2838848030639649]], dtype=torch.float64), b=torch.tensor([-0.22632464605522293, -0.10779858154488295], dtype=torch.float64), c=torch.tensor([-0.25249826614340637, -0.028991547205523684], dtype=torch.float64), A=torch.tensor([[-0.43260653813747085, 1.6614997583224413], [0.11289330661396088, -0.1763153971707977]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[-0.28128743171691895, -0.6680463552474976], [-1.0551505088806152, -0.39080098271369934], [0.4819453954696655, -0.23855361342430115]], dtype=torch.float32), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'timesteps': torch.tensor([7, 4, 2], dtype=torch.int64), 'eta': 0.0, 'noise': torch.tensor([[[0.9577587246894836, -0.19980213046073914], [0.02425956539809704, 1.5458208322525024], [0.545105516910553, -0.5052287578582764]], [[-0.18283897638320923, 0.5405251383781433], [1.935088038444519, -0.2696203291416168], [-0.24355867505073547, 1.0023136138916016]], [[-0.8864599466323853, -0.2917202413082123], [0.8825389742851257, 0.5803500413894653], [0.09151670336723328, 0.6701043844223022]]], dtype=torch.float32)}, outputs=[torch.tensor([[2.895716767058623, -2.1054028841542736], [-0.19795172401528702, -0.13506531699571916], [3.312256210503542, -1.1550229272844168]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('sample_prev_t_minus_stride', "the previous index is taken as t - T // S (diffusers' DDIMScheduler.step does this), which holds only for the leading spacing; the previous index is the next entry of timesteps (-1 after the last).", (torch.tensor([[1.6513900756835938, -1.5609219074249268], [-0.501404881477356, -0.2291884869337082], [2.277679443359375, -0.765731155872345]], dtype=torch.float32),)), ('sample_no_final_step', 'the loop stops at timesteps[-1]; the last step goes from timesteps[-1] to t_prev = -1 (alpha_bar = 1), so S indices make S steps.', (torch.tensor([[1.559643268585205, -1.389009952545166], [-0.6183735132217407, -0.23996615409851074], [2.3855714797973633, -0.6002025604248047]], dtype=torch.float32),))])), ('ddim_sample', dict(what='the cosine schedule (T = 8), leading spacing, 3 steps, eta = 0.5', inputs={'eps_model': TestModel(W=torch.tensor([[-0.3258955763058448, -0.08735864616288858], [0.8318619956955984, 0.3295738749161275]], dtype=torch.float64), b=torch.tensor([-0.8206986472923233, -0.0026016320859659887], dtype=torch.float64), c=torch.tensor([-0.07793296762354918, 0.01857894040650329], dtype=torch.float64), A=torch.tensor([[-0.8040938920931945, 0.12088593843842566], [0.11769045936872738, 0.7878130157157314]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[0.3166450164719021, 0.5105466616976417], [-1.4931166849642326, 2.2527291247240275], [-1.9156455579583005, 1.1018018558224842]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.9578045910130173, 0.8470121613269046, 0.6842265658100488, 0.49384359044063764, 0.30439488942465887, 0.14427210238573576, 0.03747195477386678, 3.7471954773866814e-05], dtype=torch.float64), 'timesteps': torch.tensor([4, 2, 0], dtype=torch.int64), 'eta': 0.5, 'noise': torch.tensor([[[-0.3299040738738497, -0.8806465179277969], [-0.6562850109290311, -0.6720146806586559], [0.3801890922489917, -0.11005869527805158]], [[1.482571163033857, -1.8296040234453508], [-0.0030809646658509597, -0.892055788321591], [0.7758718474580595, -2.118060042185068]], [[-0.3436943500994811, 0.21017292733610196], [-1.4842685839963512, 0.9852155828581877], [0.1787134291183962, 1.006856770707084]]], dtype=torch.float64)}, outputs=[torch.tensor([[3.097727550834762, -0.8695208153823187], [-5.804892356769626, 2.3744682820611938], [-7.043178468172407, 1.9660660852852707]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sample_no_final_step', 'the loop stops at timesteps[-1]; the last step goes from timesteps[-1] to t_prev = -1 (alpha_bar = 1), so S indices make S steps.', (torch.tensor([[2.4256285340868398, -0.7137971948795359], [-4.741185919504881, 2.3915611057251263], [-5.750375304478884, 1.884824595210155]], dtype=torch.float64),)), ('sample_noise_reversed', 'noise[S-1-i] is used at step i; step i (from timesteps[i]) uses noise[i].', (torch.tensor([[3.070479475196885, -0.6968936504733059], [-6.263060404984405, 2.681322799258382], [-7.15958381819873, 2.1625912125627984]], dtype=torch.float64),))]))]
    depends = [('ddim_sigma', dict(what='eta = 1, strided steps', inputs={'alpha_bar_t': torch.tensor([0.3, 0.5, 0.8], dtype=torch.float64), 'alpha_bar_prev': torch.tensor([0.6, 0.9, 0.95], dtype=torch.float64), 'eta': 1.0}, outputs=[torch.tensor([0.5345224838248488, 0.2981423969999719, 0.19867985355975662], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_sigma', dict(what='eta = 0: no noise', inputs={'alpha_bar_t': torch.tensor([0.3, 0.5, 0.8], dtype=torch.float64), 'alpha_bar_prev': torch.tensor([0.6, 0.9, 0.95], dtype=torch.float64), 'eta': 0.0}, outputs=[torch.tensor([0.0, 0.0, 0.0], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_sigma', dict(what='eta = 0.5, with the final step (alpha_bar_prev = 1)', inputs={'alpha_bar_t': torch.tensor([0.2, 0.7, 0.9], dtype=torch.float64), 'alpha_bar_prev': torch.tensor([0.5, 1.0, 1.0], dtype=torch.float64), 'eta': 0.5}, outputs=[torch.tensor([0.3061862178478973, 0.0, 0.0], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_sigma', dict(what='float32, shape (B, 1, 1, 1), eta = 0.7', inputs={'alpha_bar_t': torch.tensor([[[[0.10000000149011612]]], [[[0.44999998807907104]]], [[[0.6000000238418579]]]], dtype=torch.float32), 'alpha_bar_prev': torch.tensor([[[[0.30000001192092896]]], [[[0.5]]], [[[0.9900000095367432]]]], dtype=torch.float32), 'eta': 0.7}, outputs=[torch.tensor([[[[0.5040576091310235]]], [[[0.2110579640772212]]], [[[0.06946764021974128]]]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[])), ('ddim_step', dict(what='eta = 0: deterministic, strided steps', inputs={'x_t': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 't': torch.tensor([7, 4, 2], dtype=torch.int64), 't_prev': torch.tensor([3, 1, 0], dtype=torch.int64), 'eps_pred': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 0.0, 'noise': torch.tensor([[-2.3250307746388343, -0.21879166393254573], [-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454]], dtype=torch.float64)}, outputs=[torch.tensor([[-1.050642075641485, -1.1576161537690375], [1.20446123765734, 0.8119490338161617], [-0.3985684312067298, 0.39025113748269247]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_step', dict(what="eta = 1 on contiguous steps (DDPM's posterior step)", inputs={'x_t': torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 't': torch.tensor([5, 2, 1], dtype=torch.int64), 't_prev': torch.tensor([4, 1, 0], dtype=torch.int64), 'eps_pred': torch.tensor([[-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 1.0, 'noise': torch.tensor([[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276], [0.03972210748165899, -0.2924567509650886]], dtype=torch.float64)}, outputs=[torch.tensor([[0.2586080683602726, 0.6703842573339639], [0.1303616751801705, -1.3131552956879005], [0.9469888973850384, 0.27883376829277357]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_step', dict(what='eta = 0.5, strided steps', inputs={'x_t': torch.tensor([[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556], [1.799707382720902, 1.1441658720372287]], dtype=torch.float64), 't': torch.tensor([7, 6, 3], dtype=torch.int64), 't_prev': torch.tensor([2, 4, 1], dtype=torch.int64), 'eps_pred': torch.tensor([[-0.32542283686782436, 0.7738065867276614], [0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 0.5, 'noise': torch.tensor([[-0.3288239040579627, -0.7921467553588982], [0.45495807124085547, -0.09919805171738795], [0.5452887139646817, -0.6071856998706371]], dtype=torch.float64)}, outputs=[torch.tensor([[0.7056003653679821, -2.1859136686417324], [-0.5588436309273992, -3.0036793002129705], [1.8176725356272558, 1.3494838141629792]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_step', dict(what='the final step, t_prev = -1 (alpha_bar_prev = 1), eta = 1, loud noise', inputs={'x_t': torch.tensor([[2.0409191213851825, -2.5556650313141818], [0.41809884672577885, -0.5677696061279298], [-0.45264929211044586, -0.2155971630897659]], dtype=torch.float64), 't': torch.tensor([0, 3, 7], dtype=torch.int64), 't_prev': torch.tensor([-1, -1, -1], dtype=torch.int64), 'eps_pred': torch.tensor([[-2.019986129147251, -0.23193237764418947], [-0.8652130762749417, 3.3229995166448827], [0.22578661322792176, -0.3526307943415954]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 1.0, 'noise': torch.tensor([[-2.8128741815135037, -6.6804634610895], [-10.551505512051214, -3.9080097723465475], [4.819453885067858, -2.385536065733667]], dtype=torch.float64)}, outputs=[torch.tensor([[2.557355437124522, -2.568848060683792], [1.1657575067731725, -3.1829960567167386], [-1.4396462648101067, 0.21704792368153072]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_step', dict(what='images (B, C, H, W), eta = 0.5, with a final step', inputs={'x_t': torch.tensor([[[[-0.6517911526116896, -0.17471729232577715], [1.6637239913911968, 0.659147749832255]], [[-1.6413972945846467, -0.005203264171931977], [-0.6234637409883934, 0.14863152325202633]], [[-1.608187784186389, 0.2417718768768513], [0.23538091873745476, 1.5756260314314627]]], [[[0.3166450164719021, 0.5105466616976417], [-1.4931166849642326, 2.2527291247240275]], [[-1.9156455579583005, 1.1018018558224842], [-0.3299040738738497, -0.8806465179277969]], [[-0.6562850109290311, -0.6720146806586559], [0.3801890922489917, -0.11005869527805158]]]], dtype=torch.float64), 't': torch.tensor([6, 2], dtype=torch.int64), 't_prev': torch.tensor([3, -1], dtype=torch.int64), 'eps_pred': torch.tensor([[[[1.482571163033857, -1.8296040234453508], [-0.0030809646658509597, -0.892055788321591]], [[0.7758718474580595, -2.118060042185068], [-0.3436943500994811, 0.21017292733610196]], [[-1.4842685839963512, 0.9852155828581877], [0.1787134291183962, 1.006856770707084]]], [[[0.9591848586745111, -0.9798545663746768], [-0.7977957578895382, -0.20333248577190258]], [[0.7479597259631346, 0.8509672909755427], [-0.7096848707086849, -0.6071971852553313]], [[-0.7978229151665286, -0.584238229157347], [-0.2379233775647261, -0.13181504769026442]]]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 0.5, 'noise': torch.tensor([[[[2.058114468497711, -0.5064036597864299], [-0.28872436702922194, 0.4585777290940279]], [[-0.9530740655699254, -0.36862714912240996], [0.013318481161013024, 0.7741459470172646]], [[-1.3160148587467566, 1.3714694572870232], [-0.35245736590160387, 0.1694164211036251]]], [[[0.8470883039345106, 0.6607929217270263], [1.059231886175497, 0.17319781643187807]], [[-0.019613353374506273, 0.3164785392796004], [-0.9957153901865851, 1.2141873689841987]], [[-0.7753862486410281, -1.2602438798825923], [2.0564087809385283, -0.13644493951285103]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[-1.4678871974773675, 0.8972479973186004], [2.384707779246617, 1.7218960819927176]], [[-3.220816751415812, 1.3868301681008237], [-0.6757247135843071, 0.27430909373029855]], [[-1.6757255327629057, 0.022698211631040688], [0.12969634553828757, 1.6635286775499294]]], [[[-0.1719532838196878, 1.130393268703326], [-1.2647280838707173, 2.692091214647274]], [[-2.6096676395814487, 0.7871467604414351], [0.0177606170221854, -0.6698022286472601]], [[-0.30675421644303036, -0.44376410014726175], [0.567783764598351, -0.05254545751357411]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_step', dict(what='float32 data, eta = 0.5', inputs={'x_t': torch.tensor([[-0.8019314408302307, -1.3243589401245117], [-0.24836161732673645, 0.4204452335834503], [1.1360465288162231, 0.10970640182495117]], dtype=torch.float32), 't': torch.tensor([7, 5, 1], dtype=torch.int64), 't_prev': torch.tensor([2, -1, 0], dtype=torch.int64), 'eps_pred': torch.tensor([[-0.5526472926139832, -0.7847803831100464], [0.7487457990646362, 1.6347830295562744], [0.2727687656879425, -1.2333287000656128]], dtype=torch.float32), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 0.5, 'noise': torch.tensor([[-0.9582651853561401, 1.600019097328186], [0.20288243889808655, -1.7321348190307617], [-0.08369619399309158, -1.1632260084152222]], dtype=torch.float32)}, outputs=[torch.tensor([[-1.0551096012097787, -1.1644044544213066], [-1.3085608271678086, -1.335801775849918], [1.1329300421260422, 0.2250167700979054]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[])), ('ddim_step', dict(what='the cosine schedule (T = 8), from its top index, eta = 0.5', inputs={'x_t': torch.tensor([[1.0531157544867582, 1.776491303816993], [-2.5532918384570134, -0.13796506137840808], [1.0137194090532766, 1.3521418253819912]], dtype=torch.float64), 't': torch.tensor([7, 4, 2], dtype=torch.int64), 't_prev': torch.tensor([5, 1, -1], dtype=torch.int64), 'eps_pred': torch.tensor([[0.6537883844162056, 1.4971178525878377], [0.289957591366348, 0.5512671317684119], [0.17873768757050404, -1.073858701475369]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.9578045910130173, 0.8470121613269046, 0.6842265658100488, 0.49384359044063764, 0.30439488942465887, 0.14427210238573576, 0.03747195477386678, 3.7471954773866814e-05], dtype=torch.float64), 'eta': 0.5, 'noise': torch.tensor([[-0.8466289662382713, 0.37958424600772894], [-0.5801952016057006, 1.2715513764583872], [1.2923865934033114, 1.7987863384903786]], dtype=torch.float64)}, outputs=[torch.tensor([[24.91104523468388, 18.711678997203208], [-4.6719789380396195, -0.5692739459037072], [1.1040888018538808, 2.364156846877439]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[]))]
    run_cases(functions, cases, depends)

