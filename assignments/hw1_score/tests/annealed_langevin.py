from otter.test_files import test_case

OK_FORMAT = False

name = "annealed_langevin"
points = 4

@test_case(points=None, hidden=False)
def test_annealed_langevin(annealed_langevin, langevin_step):
    """The public cases of annealed_langevin: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'annealed_langevin': annealed_langevin, 'langevin_step': langevin_step}
    cases = [('annealed_langevin', dict(what='a zero score, one level: each step adds sqrt(step_lr) * noise', inputs={'x': torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), 'score_fn': TestModel(W=torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), b=torch.tensor([0.0, 0.0], dtype=torch.float64), c=torch.tensor([0.0, 0.0], dtype=torch.float64), A=torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64), time='level'), 'sigmas': torch.tensor([1.0], dtype=torch.float64), 'step_lr': 0.04, 'n_steps': 1, 'noise': torch.tensor([[[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]]], dtype=torch.float64)}, outputs=[torch.tensor([[0.2, 0.2], [0.2, 0.2], [0.2, 0.2]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('annealed_step_size', "langevin_step gets alpha_i as its step size; Algorithm 1's update x + alpha_i/2 score + sqrt(alpha_i) z is langevin_step with step_size = alpha_i / 2.", (torch.tensor([[0.282842712474619, 0.282842712474619], [0.282842712474619, 0.282842712474619], [0.282842712474619, 0.282842712474619]], dtype=torch.float64),))])), ('annealed_langevin', dict(what='three levels, two steps each', inputs={'x': torch.tensor([[-2.2093622610050008, -0.4887298439791583], [-1.4463579380399347, 1.7965386379038826], [0.11916632244497696, -0.8773702528952658]], dtype=torch.float64), 'score_fn': TestModel(W=torch.tensor([[0.172792096032393, 0.4108090717505792], [0.16521853809169357, -0.6515786158021805]], dtype=torch.float64), b=torch.tensor([0.45267793333655887, 0.22318728618200565], dtype=torch.float64), c=torch.tensor([-0.2684766176801426, 0.29055905209817656], dtype=torch.float64), A=torch.tensor([[-0.4817713801906962, 0.0147066248327763], [0.0014211120657898395, -0.4726643506693777]], dtype=torch.float64), time='level'), 'sigmas': torch.tensor([2.000000065950592, 0.632455531188781, 0.1999999928705826], dtype=torch.float64), 'step_lr': 0.01, 'n_steps': 2, 'noise': torch.tensor([[[[-0.7819084623568421, -0.2571922406188707], [0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]], [[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356], [0.2136429974986111, 0.21732193102256359]]], [[[2.1178387550510482, -1.1120207626922813], [-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]], [[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753], [-1.2273520542445742, -0.6832266617805622]]], [[[-0.07204367972722743, -0.9447516230607774], [-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]], [[0.5937480717858228, 0.8911669542823284], [0.3208483045665637, -0.818230227390307], [0.7316522837854408, -0.5014400184670523]]]], dtype=torch.float64)}, outputs=[torch.tensor([[-4.3939467125888125, -2.5681190481179494], [-0.7475893637535778, 0.8279642818512563], [1.2241234387028623, 0.8648863383947366]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('annealed_step_size', "langevin_step gets alpha_i as its step size; Algorithm 1's update x + alpha_i/2 score + sqrt(alpha_i) z is langevin_step with step_size = alpha_i / 2.", (torch.tensor([[-4.690233373524845, -3.147585049990962], [-0.46433709498800124, 0.8296451899485634], [1.6522356608462578, 0.8337640037111455]], dtype=torch.float64),)), ('annealed_sigma_not_squared', 'the step size scales with sigma_i / sigma_L; Algorithm 1 scales it with the noise variance, alpha_i = step_lr sigma_i^2 / sigma_L^2.', (torch.tensor([[-2.891432139230831, -1.5265219739943925], [-1.3518970776290418, 1.692070160307302], [0.5230834830970952, -0.44515535869009054]], dtype=torch.float64),)), ('annealed_first_sigma', 'the step size is relative to the first (largest) level; Algorithm 1 divides by the last, smallest level sigma_L, so step_lr is the step size at the end.', (torch.tensor([[-2.4970104923482284, -0.7816064826468466], [-1.454944511884737, 1.77208255501868], [0.25441353150870966, -0.7518173083865434]], dtype=torch.float64),)), ('annealed_same_noise', "every level reuses the first level's noise draws; level i, step j uses noise[i, j].", (torch.tensor([[-6.377920097370822, -2.6000544900625413], [-0.7915234502209304, -0.019512794349630182], [1.952841277212784, 1.473245401546615]], dtype=torch.float64),))])), ('annealed_langevin', dict(what='float32 points', inputs={'x': torch.tensor([[-0.9864717125892639, -2.3764402866363525], [1.364874243736267, -0.2975941598415375], [1.6358661651611328, -1.8215570449829102]], dtype=torch.float32), 'score_fn': TestModel(W=torch.tensor([[0.09452669089676653, -0.2613742207403737], [-0.20653177169594672, -1.2207336913199278]], dtype=torch.float64), b=torch.tensor([0.899853691360451, 0.5720829360186144], dtype=torch.float64), c=torch.tensor([-0.16271141843391218, 0.3869032933638307], dtype=torch.float64), A=torch.tensor([[-0.48593946651011755, -0.027691141821202622], [0.048878372556301786, -0.5155278273329577]], dtype=torch.float64), time='level'), 'sigmas': torch.tensor([2.000000065950592, 0.632455531188781, 0.1999999928705826], dtype=torch.float64), 'step_lr': 0.01, 'n_steps': 2, 'noise': torch.tensor([[[[0.12682785093784332, -0.892274022102356], [0.8414649963378906, 0.18803508579730988], [0.3305709958076477, 0.41050392389297485]], [[-1.0107574462890625, 0.7831810116767883], [2.0567028522491455, -1.6384425163269043], [-1.7294114828109741, -1.5048314332962036]]], [[[0.8414589166641235, 0.1287156641483307], [1.0783424377441406, 0.7224308848381042], [0.21057181060314178, 0.28403815627098083]], [[-0.16976049542427063, 0.8684602379798889], [-1.129715919494629, -0.4218588173389435], [0.2429388463497162, 1.80142080783844]]], [[[-0.7644641399383545, -1.079060435295105], [-0.5632871985435486, 0.9692721962928772], [-0.23500551283359528, 1.3243470191955566]], [[-1.8725295066833496, 1.1285231113433838], [1.034866213798523, -1.4186656475067139], [0.1535818874835968, 1.2157576084136963]]]], dtype=torch.float32)}, outputs=[torch.tensor([[-0.6636206767307138, 0.08423280563245025], [3.922634379381763, -0.8773571555492745], [0.36597994142374457, -0.22415788997720681]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('annealed_step_size', "langevin_step gets alpha_i as its step size; Algorithm 1's update x + alpha_i/2 score + sqrt(alpha_i) z is langevin_step with step_size = alpha_i / 2.", (torch.tensor([[-0.32599931955337524, 1.5617196559906006], [4.426621913909912, -1.591408371925354], [-0.3678419291973114, -0.03706929087638855]], dtype=torch.float32),)), ('annealed_sigma_not_squared', 'the step size scales with sigma_i / sigma_L; Algorithm 1 scales it with the noise variance, alpha_i = step_lr sigma_i^2 / sigma_L^2.', (torch.tensor([[-1.2180805206298828, -1.9213125705718994], [2.3003313541412354, -0.5935405492782593], [1.2853583097457886, -1.2642542123794556]], dtype=torch.float32),)), ('annealed_first_sigma', 'the step size is relative to the first (largest) level; Algorithm 1 divides by the last, smallest level sigma_L, so step_lr is the step size at the end.', (torch.tensor([[-1.064940333366394, -2.3309669494628906], [1.657551884651184, -0.42545458674430847], [1.5105512142181396, -1.8173576593399048]], dtype=torch.float32),)), ('annealed_same_noise', "every level reuses the first level's noise draws; level i, step j uses noise[i, j].", (torch.tensor([[-0.9702188372612, -0.2653128504753113], [5.0961408615112305, -1.516815423965454], [-0.3488501310348511, -1.587168574333191]], dtype=torch.float32),))]))]
    depends = [('langevin_step', dict(what='step_size = 0.125', inputs={'x': torch.tensor([[0.0, 0.0]], dtype=torch.float64), 'score': torch.tensor([[1.0, -1.0]], dtype=torch.float64), 'step_size': 0.125, 'noise': torch.tensor([[1.0, 1.0]], dtype=torch.float64)}, outputs=[torch.tensor([[0.625, 0.375]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('langevin_step', dict(what='float32 points in 3 dimensions, step_size = 0.01', inputs={'x': torch.tensor([[-0.8028369545936584, 0.2428499013185501, -1.6563454866409302], [0.6561048626899719, 1.1434530019760132, -0.4526109993457794]], dtype=torch.float32), 'score': torch.tensor([[-1.1033384799957275, -0.7250246405601501, -0.7818052768707275], [0.26697584986686707, -0.2485807240009308, 0.12648305296897888]], dtype=torch.float32), 'step_size': 0.01, 'noise': torch.tensor([[0.0341927669942379, 1.3597475290298462, 1.224721074104309], [-0.5103070735931396, -0.2979695200920105, -0.5273842215538025]], dtype=torch.float32)}, outputs=[torch.tensor([[-0.8090347519117843, 0.4278969946086798, -1.4909618240973916], [0.5866063027436063, 1.0988279410872115, -0.5259295606863861]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[]))]
    run_cases(functions, cases, depends)

