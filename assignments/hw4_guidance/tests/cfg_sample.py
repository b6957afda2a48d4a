from otter.test_files import test_case

OK_FORMAT = False

name = "cfg_sample"
points = 3

@test_case(points=None, hidden=False)
def test_cfg_sample(cfg_ddim_sample, cfg_eps):
    """The public cases of cfg_sample: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'cfg_ddim_sample': cfg_ddim_sample, 'cfg_eps': cfg_eps}
    cases = [('cfg_ddim_sample', dict(what='T = 6, timesteps 5, 3, 1 (trailing spacing), guidance_scale = 3, eta = 0', inputs={'eps_model': TestModel(W=torch.tensor([[0.06286511054669665, -0.06605243164565094], [0.32021132522164103, 0.052450058576519853]], dtype=torch.float64), b=torch.tensor([-0.2678346865805555, 0.18079752745474237], dtype=torch.float64), c=torch.tensor([0.21733334085502287, 0.15784682718820703], dtype=torch.float64), A=torch.tensor([[-0.3518676179034963, -0.6327107355230263], [-0.3116372312686761, 0.0206629896736218]], dtype=torch.float64), E=torch.tensor([[-1.1625153873194172, -0.10939583196627287], [-0.6229554736265326, -0.3661336773517258], [-0.27212949142865495, -0.15815007818457727]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[0.4116305363741328, 1.0425133694426776], [-0.12853466294403426, 1.3664634705496859], [-0.6651946734866135, 0.3515100700930197]], dtype=torch.float64), 'y': torch.tensor([0, 1, 1], dtype=torch.int64), 'null_label': 2, 'guidance_scale': 3.0, 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64), 'timesteps': torch.tensor([5, 3, 1], dtype=torch.int64), 'eta': 0.0, 'noise': torch.tensor([[[0.9034701816518086, 0.09401229776087457], [-0.7434992493538084, -0.9217253762584194], [-0.45772582566733916, 0.2201951234700494]], [[-1.009618183538736, -0.20917557487171307], [-0.15922500991447772, 0.5408455846858077], [0.2146591225063409, 0.3553727090399214]], [[-0.6538286094183394, -0.12961363369276946], [0.7839754700613295, 1.4934311452207607], [-1.2590655321041202, 1.5139237747390626]]], dtype=torch.float64)}, outputs=[torch.tensor([[5.888889577263179, 1.399868365066909], [2.868695500430637, 2.265678309476636], [0.06955932229556386, 0.660854690269799]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sample_uncond_given_y', "the 'unconditional' prediction is asked with the class labels y, so both predictions are conditional and the guidance does nothing; ask the model with the null label for it.", (torch.tensor([[3.2339154600786992, 1.215632183253918], [1.6737948180684317, 1.8519531101400564], [-1.147609870686632, 0.11482475816241654]], dtype=torch.float64),)), ('sample_w_for_one_plus_w', "the two predictions are combined as (1 + s) eps_c - s eps_u with s = guidance_scale; guidance_scale is Ho & Salimans' 1 + w (use cfg_eps).", (torch.tensor([[7.269522926991452, 1.5255315408581875], [3.468976712191829, 2.4454397417798557], [0.6809919184935633, 0.922735817758258]], dtype=torch.float64),)), ('sample_cond_uncond_swapped', 'the conditional and unconditional predictions are swapped (the model is asked with y for the one and with the null label for the other).', (torch.tensor([[-0.4539188056560777, 1.2109265187463458], [-0.1045274640637721, 1.1216765591610804], [-2.9540522779119858, -0.6578068202452041]], dtype=torch.float64),)), ('sample_last_step_to_index_zero', "the last step goes to index 0; after the last timestep the sampler steps to 'before step 0' (t_prev = -1, where alpha_bar = 1), as homework 3's DDIM sampler does.", (torch.tensor([[4.812256693602519, 1.3080574472486004], [2.1344266604283746, 2.1649744399760604], [-0.21920335127740498, 0.5522303321385033]], dtype=torch.float64),))])), ('cfg_ddim_sample', dict(what='guidance_scale = 1 (conditional), eta = 1, T = 7, timesteps 6, 4, 1 (trailing spacing: uneven gaps)', inputs={'eps_model': TestModel(W=torch.tensor([[0.172792096032393, 0.4108090717505792], [0.16521853809169357, -0.6515786158021805]], dtype=torch.float64), b=torch.tensor([0.45267793333655887, 0.22318728618200565], dtype=torch.float64), c=torch.tensor([-0.0767076050514693, 0.08301687202805044], dtype=torch.float64), A=torch.tensor([[0.18228619809303787, 0.147066248327763], [0.014211120657898394, 0.27335649330622347]], dtype=torch.float64), E=torch.tensor([[-0.36822704350083346, -0.08145497399652639], [-0.24105965633998913, 0.2994231063173138], [0.019861053740829495, -0.1462283754825443]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[-0.7819084623568421, -0.2571922406188707], [0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]], dtype=torch.float64), 'y': torch.tensor([0, 1, 1], dtype=torch.int64), 'null_label': 2, 'guidance_scale': 1.0, 'alpha_bar': torch.tensor([0.95, 0.8629166666666667, 0.7478611111111111, 0.6169854166666666, 0.4833052430555555, 0.358451388599537, 0.2509159720196759], dtype=torch.float64), 'timesteps': torch.tensor([6, 4, 1], dtype=torch.int64), 'eta': 1.0, 'noise': torch.tensor([[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356], [0.2136429974986111, 0.21732193102256359]], [[2.1178387550510482, -1.1120207626922813], [-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]], [[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753], [-1.2273520542445742, -0.6832266617805622]]], dtype=torch.float64)}, outputs=[torch.tensor([[-0.28471016601680527, -3.391690686195783], [0.8883063582415266, -1.741919109884396], [1.0356639648511876, 0.6879510371842689]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sample_w_for_one_plus_w', "the two predictions are combined as (1 + s) eps_c - s eps_u with s = guidance_scale; guidance_scale is Ho & Salimans' 1 + w (use cfg_eps).", (torch.tensor([[0.17438395286765898, -3.460255850734607], [1.4461565104138152, -2.0122538042380587], [1.66799649909361, -0.3293875921646573]], dtype=torch.float64),)), ('sample_cond_uncond_swapped', 'the conditional and unconditional predictions are swapped (the model is asked with y for the one and with the null label for the other).', (torch.tensor([[-0.7282286530466685, -3.3176916274661528], [0.3121187757924259, -1.3945798408726124], [0.4789244230540449, 1.8836778092169981]], dtype=torch.float64),)), ('sample_last_step_to_index_zero', "the last step goes to index 0; after the last timestep the sampler steps to 'before step 0' (t_prev = -1, where alpha_bar = 1), as homework 3's DDIM sampler does.", (torch.tensor([[-0.5637998271062886, -3.5930584428580232], [0.8446098947377773, -1.6070524264758368], [0.9099618460818443, 0.6126405143980953]], dtype=torch.float64),)), ('sample_eta_dropped', 'eta is not passed on to the DDIM step, which then runs with eta = 0 whatever was asked.', (torch.tensor([[-0.28014355555220954, -1.3096307065312243], [0.7337448614707487, -1.725461609592885], [1.0681742583433678, 0.7970678384462213]], dtype=torch.float64),)), ('sample_prev_t_minus_stride', "the previous index is taken as t - T // S (diffusers' DDIMScheduler.step does this), which holds only when the timesteps are evenly spaced by T // S; the previous index is the next entry of timesteps (-1 after the last).", (torch.tensor([[-0.26410684710953897, -3.238014594039607], [0.6376651704968864, -1.346037192261812], [1.1108888202293759, 0.8201625345425831]], dtype=torch.float64),))])), ('cfg_ddim_sample', dict(what='guidance_scale = 0 (unconditional), images (B, C, H, W), T = 6, timesteps 5, 2', inputs={'eps_model': TestModel(W=torch.tensor([[0.09452669089676653, -0.2613742207403737, -0.20653177169594672, -1.2207336913199278], [0.899853691360451, 0.5720829360186144, -0.16271141843391218, 0.3869032933638307], [0.14060533489882462, -0.2769114182120262, 0.48878372556301786, -0.15527827332957628], [-0.16441195202898135, -0.3960733776794491, 0.22747903562042773, -0.049599025858693975]], dtype=torch.float64), b=torch.tensor([0.27264435698234085, -0.30359284993531854, 0.06341392355593493, -0.44613702171489517], dtype=torch.float64), c=torch.tensor([0.1402441620616905, 0.03133918116344766, 0.055095168022554354, 0.06841731882837714], dtype=torch.float64), A=torch.tensor([[-0.5053787500766672, 0.39159049807203866, 1.0283514091711843, -0.8192212516177626], [-0.8647057335772408, -0.75241570693216, 0.4207294467269999, 0.06435782873703423], [0.539171220369649, 0.3612154361537495, 0.10528590618764029, 0.14201907262518543], [-0.08488024886156771, 0.4342301056057551, -0.5648579808903774, -0.2109294130891581]], dtype=torch.float64), E=torch.tensor([[0.1214694265493676, 0.9007104292246664, -0.38223205786019965, -0.5395302295684712], [-0.28164359925201893, 0.4846361005690814, -0.11750275344591289, 0.6621735096184785], [-0.936264758803012, 0.564261570950239, 0.5174331199647694, -0.7093328449007424]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[[[0.15358188653595775, 1.2157576351945363], [0.08791904230952238, 0.99970142215178]]], [[[2.3748869133171437, 0.2739322545923299], [-0.2803823139429379, -0.7710521598195307]]]], dtype=torch.float64), 'y': torch.tensor([0, 1], dtype=torch.int64), 'null_label': 2, 'guidance_scale': 0.0, 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64), 'timesteps': torch.tensor([5, 2], dtype=torch.int64), 'eta': 0.5, 'noise': torch.tensor([[[[[0.6480646015444852, -0.19673006635772372], [-0.17874637079406783, -0.1052597784150319]]], [[[0.6498696525854939, -1.0663396121649127], [-1.5298764906705564, -2.4338766971489387]]]], [[[[1.1986708993900783, 0.07379335958326627], [1.5101194131223459, -0.00895629811039896]]], [[[-0.7421554551991772, 0.477929298799656], [-0.07658841293719656, -1.2541866619736308]]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[3.77032732285781, 3.2755941068549728], [-1.7362374437427082, 2.546256145881237]]], [[[5.601913779505558, 4.274176808502256], [-4.069335008387485, -2.043581653271015]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sample_uncond_given_y', "the 'unconditional' prediction is asked with the class labels y, so both predictions are conditional and the guidance does nothing; ask the model with the null label for it.", (torch.tensor([[[[2.7137228285398196, 2.8386085258385805], [-0.5714731169272728, 2.7072116515679094]]], [[[4.850034234261723, 4.176716881059201], [-3.4310515803285564, -3.012467900859202]]]], dtype=torch.float64),)), ('sample_w_for_one_plus_w', "the two predictions are combined as (1 + s) eps_c - s eps_u with s = guidance_scale; guidance_scale is Ho & Salimans' 1 + w (use cfg_eps).", (torch.tensor([[[[2.7137228285398196, 2.8386085258385805], [-0.5714731169272728, 2.7072116515679094]]], [[[4.850034234261723, 4.176716881059201], [-3.4310515803285564, -3.012467900859202]]]], dtype=torch.float64),)), ('sample_cond_uncond_swapped', 'the conditional and unconditional predictions are swapped (the model is asked with y for the one and with the null label for the other).', (torch.tensor([[[[2.7137228285398196, 2.8386085258385805], [-0.5714731169272728, 2.7072116515679094]]], [[[4.850034234261723, 4.176716881059201], [-3.4310515803285564, -3.012467900859202]]]], dtype=torch.float64),)), ('sample_last_step_to_index_zero', "the last step goes to index 0; after the last timestep the sampler steps to 'before step 0' (t_prev = -1, where alpha_bar = 1), as homework 3's DDIM sampler does.", (torch.tensor([[[[3.1141057207487877, 2.8417192573517567], [-1.2748865484265464, 2.426122122814838]]], [[[4.99567708466555, 3.346945751367248], [-3.5967271369689158, -1.9358713326188521]]]], dtype=torch.float64),)), ('sample_eta_dropped', 'eta is not passed on to the DDIM step, which then runs with eta = 0 whatever was asked.', (torch.tensor([[[[3.3527448605998265, 3.20433217866096], [-1.559094144505109, 2.5436008593649038]]], [[[5.4584246244285035, 4.328341265486682], [-3.6194422753731526, -1.220818094275588]]]], dtype=torch.float64),))])), ('cfg_ddim_sample', dict(what='float32 data, guidance_scale = 2, eta = 1, T = 6, timesteps 5, 3, 2, 0 (linspace spacing: uneven gaps)', inputs={'eps_model': TestModel(W=torch.tensor([[1.0204595606925912, -1.2778325156570909], [0.20904942336288942, -0.2838848030639649]], dtype=torch.float64), b=torch.tensor([-0.22632464605522293, -0.10779858154488295], dtype=torch.float64), c=torch.tensor([-0.33666435485787516, -0.03865539627403158], dtype=torch.float64), A=torch.tensor([[-0.43260653813747085, 1.6614997583224413], [0.11289330661396088, -0.1763153971707977]], dtype=torch.float64), E=torch.tensor([[-0.1406437090756752, -0.33402317305447504], [-0.5275752756025607, -0.19540048861732737], [0.24097269425339293, -0.11927680328668334]], dtype=torch.float64), time='index'), 'x_T': torch.tensor([[0.9577587246894836, -0.19980213046073914], [0.02425956539809704, 1.5458208322525024], [0.545105516910553, -0.5052287578582764]], dtype=torch.float32), 'y': torch.tensor([0, 1, 1], dtype=torch.int64), 'null_label': 2, 'guidance_scale': 2.0, 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64), 'timesteps': torch.tensor([5, 3, 2, 0], dtype=torch.int64), 'eta': 1.0, 'noise': torch.tensor([[[-0.18283897638320923, 0.5405251383781433], [1.935088038444519, -0.2696203291416168], [-0.24355867505073547, 1.0023136138916016]], [[-0.8864599466323853, -0.2917202413082123], [0.8825389742851257, 0.5803500413894653], [0.09151670336723328, 0.6701043844223022]], [[-2.82816219329834, 1.0213068723678589], [-0.9596447348594666, -1.6686198711395264], [0.27644574642181396, 0.7005448937416077]], [[-0.44476744532585144, -1.0764058828353882], [0.026124833151698112, -0.05274730920791626], [1.4055981636047363, 0.7474079728126526]]], dtype=torch.float32)}, outputs=[torch.tensor([[2.1320209991187684, 0.6629851237082406], [-6.72699435539337, 5.597403125793126], [3.907920757061303, -0.174915588540926]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('sample_uncond_given_y', "the 'unconditional' prediction is asked with the class labels y, so both predictions are conditional and the guidance does nothing; ask the model with the null label for it.", (torch.tensor([[2.071453332901001, 0.15265393257141113], [-6.637897491455078, 5.53062629699707], [3.374237060546875, -0.22138845920562744]], dtype=torch.float32),)), ('sample_w_for_one_plus_w', "the two predictions are combined as (1 + s) eps_c - s eps_u with s = guidance_scale; guidance_scale is Ho & Salimans' 1 + w (use cfg_eps).", (torch.tensor([[2.258059024810791, 1.171048641204834], [-6.815650939941406, 5.663474082946777], [4.36065149307251, -0.1194303035736084]], dtype=torch.float32),)), ('sample_cond_uncond_swapped', 'the conditional and unconditional predictions are swapped (the model is asked with y for the one and with the null label for the other).', (torch.tensor([[2.0489661693573, -0.8627605438232422], [-6.458342552185059, 5.394850254058838], [1.6663250923156738, -0.2437266707420349]], dtype=torch.float32),)), ('sample_last_step_to_index_zero', "the last step goes to index 0; after the last timestep the sampler steps to 'before step 0' (t_prev = -1, where alpha_bar = 1), as homework 3's DDIM sampler does.", (torch.tensor([[2.2466368675231934, 0.5998461842536926], [-4.513604164123535, 4.9258012771606445], [3.676970958709717, 0.005625858902931213]], dtype=torch.float32),)), ('sample_eta_dropped', 'eta is not passed on to the DDIM step, which then runs with eta = 0 whatever was asked.', (torch.tensor([[3.187605619430542, -0.20601104199886322], [-5.623213291168213, 4.97068452835083], [3.8883144855499268, -1.424720048904419]], dtype=torch.float32),)), ('sample_prev_t_minus_stride', "the previous index is taken as t - T // S (diffusers' DDIMScheduler.step does this), which holds only when the timesteps are evenly spaced by T // S; the previous index is the next entry of timesteps (-1 after the last).", (torch.tensor([[1.242748498916626, 0.7341282367706299], [-2.9609827995300293, 3.71947979927063], [2.6998612880706787, 0.27574780583381653]], dtype=torch.float32),))]))]
    depends = [('cfg_eps', dict(what='guidance_scale = 3 (w = 2)', inputs={'eps_cond': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'eps_uncond': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'guidance_scale': 3.0}, outputs=[torch.tensor([[-2.2308094269800947, -2.2904765161323897], [3.3287384229438315, 2.8455432935512244], [-0.3604591944086285, 1.0021332060339672]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('cfg_eps', dict(what='guidance_scale = 1: the conditional prediction', inputs={'eps_cond': torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 'eps_uncond': torch.tensor([[-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]], dtype=torch.float64), 'guidance_scale': 1.0}, outputs=[torch.tensor([[0.3455841920647861, 0.8216181435011584], [0.33043707618338714, -1.3031572316043611], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('cfg_eps', dict(what='guidance_scale = 0: the unconditional prediction', inputs={'eps_cond': torch.tensor([[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556], [1.799707382720902, 1.1441658720372287]], dtype=torch.float64), 'eps_uncond': torch.tensor([[-0.32542283686782436, 0.7738065867276614], [0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]], dtype=torch.float64), 'guidance_scale': 0.0}, outputs=[torch.tensor([[-0.32542283686782436, 0.7738065867276614], [0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('cfg_eps', dict(what='images (B, C, H, W), guidance_scale = 7.5', inputs={'eps_cond': torch.tensor([[[[2.0409191213851825, -2.5556650313141818], [0.41809884672577885, -0.5677696061279298]]], [[[-0.45264929211044586, -0.2155971630897659], [-2.019986129147251, -0.23193237764418947]]]], dtype=torch.float64), 'eps_uncond': torch.tensor([[[[-0.8652130762749417, 3.3229995166448827], [0.22578661322792176, -0.3526307943415954]]], [[[-0.2812874181513504, -0.6680463461089501], [-1.0551505512051214, -0.39080097723465473]]]], dtype=torch.float64), 'guidance_scale': 7.5}, outputs=[torch.tensor([[[[20.93077840617599, -40.7669845930481], [1.66812836446185, -1.9661718827391035]]], [[[-1.5665014728445663, 2.7253225265349315], [-8.291417385771094, 0.8007135196938346]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('cfg_eps', dict(what='float32 data, guidance_scale = 2', inputs={'eps_cond': torch.tensor([[-0.6517911553382874, -0.17471729218959808], [1.6637239456176758, 0.6591477394104004], [-1.64139723777771, -0.00520326429978013]], dtype=torch.float32), 'eps_uncond': torch.tensor([[-0.6234637498855591, 0.1486315280199051], [-1.6081877946853638, 0.2417718768119812], [0.23538091778755188, 1.575626015663147]], dtype=torch.float32), 'guidance_scale': 2.0}, outputs=[torch.tensor([[-0.6801185607910156, -0.49806611239910126], [4.935635685920715, 1.0765236020088196], [-3.518175393342972, -1.5860325442627072]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[]))]
    run_cases(functions, cases, depends)

