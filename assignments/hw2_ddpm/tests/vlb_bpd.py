from otter.test_files import test_case

OK_FORMAT = False

name = "vlb_bpd"
points = 4

@test_case(points=None, hidden=False)
def test_vlb_bpd(vlb_bits_per_dim, normal_kl, predict_x0_from_eps, q_posterior_mean_variance, q_sample):
    """The public cases of vlb_bpd: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'vlb_bits_per_dim': vlb_bits_per_dim, 'normal_kl': normal_kl, 'predict_x0_from_eps': predict_x0_from_eps, 'q_posterior_mean_variance': q_posterior_mean_variance, 'q_sample': q_sample}
    cases = [('vlb_bits_per_dim', dict(what='an imperfect model, 4 steps (every L_t counts)', inputs={'eps_model': TestModel(W=torch.tensor([[0.03147003514591191, -0.16070081194833327], [0.10847851647284541, 0.39120001353904116]], dtype=torch.float64), b=torch.tensor([0.2841242889387726, -0.21112057074209778], dtype=torch.float64), c=torch.tensor([-0.18981322065690787, -0.09349116938060283], dtype=torch.float64), A=torch.tensor([[0.01239779380417308, -0.6975092323916503], [-0.06563749917976372, -0.37377328417591954]], dtype=torch.float64), time='index'), 'x0': torch.tensor([[0.7019607843137254, 0.2784313725490195], [0.019607843137254832, -0.45882352941176474], [-0.388235294117647, -0.9215686274509804]], dtype=torch.float64), 'beta': torch.tensor([0.1, 0.13333333333333333, 0.16666666666666669, 0.2], dtype=torch.float64), 'noise': torch.tensor([[[-0.7322673547034516, -0.5442589828573099], [-0.31630015636915454, 0.4116305363741328], [1.0425133694426776, -0.12853466294403426]], [[1.3664634705496859, -0.6651946734866135], [0.3515100700930197, 0.9034701816518086], [0.09401229776087457, -0.7434992493538084]], [[-0.9217253762584194, -0.45772582566733916], [0.2201951234700494, -1.009618183538736], [-0.20917557487171307, -0.15922500991447772]], [[0.5408455846858077, 0.2146591225063409], [0.3553727090399214, -0.6538286094183394], [-0.12961363369276946, 0.7839754700613295]]], dtype=torch.float64)}, outputs=[torch.tensor([8.740790720646663, 8.328719983719798, 7.951857858377683], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('vlb_no_prior', 'the prior term L_T = KL(q(x_T | x0) || N(0, I)) is missing from the sum.', (torch.tensor([8.479489688237948, 8.134818823714223, 7.609958484885722], dtype=torch.float64),)), ('vlb_nats', 'the bound is in nats; divide by ln 2 for bits.', (torch.tensor([6.0586544438807675, 5.773028774388651, 5.511807854747936], dtype=torch.float64),)), ('vlb_no_decoder', 'the decoder term L_0 = -log p(x0 | x_1) (index 0) is missing from the sum.', (torch.tensor([1.7643107829949136, 1.3028122224725516, 1.6525721917798266], dtype=torch.float64),)), ('vlb_decoder_at_x_t', "the decoder's mean is x_1 itself; the decoder is centred at the model's prediction x0_pred from x_1.", (torch.tensor([8.695101698484832, 7.80211651358322, 8.678063063290987], dtype=torch.float64),)), ('vlb_decoder_variance_beta0', "the decoder's variance is beta at index 0; it is the posterior variance of index 1 (the posterior variance of index 0 is 0).", (torch.tensor([8.83471981576596, 8.40317851022384, 8.312546778707011], dtype=torch.float64),)), ('vlb_sum_over_dims', 'each term is summed over the data dimensions; bits per dimension average over them.', (torch.tensor([17.48158144129333, 16.657439967439593, 15.903715716755366], dtype=torch.float64),))])), ('vlb_bits_per_dim', dict(what='images (B, C, H, W), 3 steps', inputs={'eps_model': TestModel(W=torch.tensor([[0.2716067600019353, 0.1339123717092034, -0.16108597060808555, 0.17433543125890594], [0.10937171885582271, 0.08823974899665779, 0.008526672394739036, 0.1640138959837341], [-0.22093622610050007, -0.048872984397915833, -0.14463579380399347, 0.17965386379038825], [0.011916632244497696, -0.08773702528952658, -0.2345725387070526, -0.0771576721856612]], dtype=torch.float64), b=torch.tensor([0.002442654155503052, -0.08268087158981112, 0.3882191443194622, 0.30201729459173826], dtype=torch.float64), c=torch.tensor([-0.5422324957931937, -0.3778026491935345, -0.03495441841103239, -0.08443808231527071], dtype=torch.float64), A=torch.tensor([[0.06409289924958332, 0.06519657930676907, 0.6353516265153144, -0.33360622880768437], [-0.11328150213809941, 0.6128314822476991, 0.19401089886055406, 0.19891901171287849], [-0.15420191150623885, -0.49442255125669576, 0.05023942326682234, 0.032704226346464256], [-0.3682056162733722, -0.20496799853416867, -0.021613103918168227, -0.2834254869182332]], dtype=torch.float64), time='index'), 'x0': torch.tensor([[[[-0.050980392156862786, 0.027450980392156765], [0.5137254901960784, 0.9058823529411764]]], [[[-0.9372549019607843, -0.7176470588235294], [0.6470588235294117, 0.8980392156862744]]]], dtype=torch.float64), 'beta': torch.tensor([0.1, 0.15000000000000002, 0.2], dtype=torch.float64), 'noise': torch.tensor([[[[[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]], [[[0.5937480717858228, 0.8911669542823284], [0.3208483045665637, -0.818230227390307]]]], [[[[0.7316522837854408, -0.5014400184670523], [0.8791606182879853, -1.0717874168774442]]], [[[0.9144672031287812, -0.02006345461548042], [-1.2487488903344155, -0.31389947196684775]]]], [[[[0.05410227877154389, 0.27279133916445375], [-0.9821881249409777, -1.107373047165193]]], [[[0.19958453284708083, -0.46674961687980204], [0.23550561173022522, 0.7595195224783792]]]]], dtype=torch.float64)}, outputs=[torch.tensor([8.304290646838087, 10.975289767451997], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('vlb_no_prior', 'the prior term L_T = KL(q(x_T | x0) || N(0, I)) is missing from the sum.', (torch.tensor([7.942753434945001, 10.444811268982527], dtype=torch.float64),)), ('vlb_nats', 'the bound is in nats; divide by ln 2 for bits.', (torch.tensor([5.756095648406145, 7.607491158137768], dtype=torch.float64),)), ('vlb_no_decoder', 'the decoder term L_0 = -log p(x0 | x_1) (index 0) is missing from the sum.', (torch.tensor([1.8232635388288632, 3.787774152169817], dtype=torch.float64),)), ('vlb_decoder_at_x_t', "the decoder's mean is x_1 itself; the decoder is centred at the model's prediction x0_pred from x_1.", (torch.tensor([8.284455747753576, 10.84277461470746], dtype=torch.float64),)), ('vlb_decoder_variance_beta0', "the decoder's variance is beta at index 0; it is the posterior variance of index 1 (the posterior variance of index 0 is 0).", (torch.tensor([8.57542844882694, 10.990902272677685], dtype=torch.float64),)), ('vlb_sum_over_dims', 'each term is summed over the data dimensions; bits per dimension average over them.', (torch.tensor([33.21716258735235, 43.90115906980798], dtype=torch.float64),))])), ('vlb_bits_per_dim', dict(what='float32 data', inputs={'eps_model': TestModel(W=torch.tensor([[-0.7324402147919566, 0.5399122148162706], [0.3432497616111686, -0.09762685106034731]], dtype=torch.float64), b=torch.tensor([0.23214197601829842, 0.08436320093929477], dtype=torch.float64), c=torch.tensor([-0.08307342546360785, 0.14663511766890536], dtype=torch.float64), A=torch.tensor([[-0.09316696399774577, -0.09864717121738881], [-0.23764402660766945, 0.13648742137225664]], dtype=torch.float64), time='index'), 'x0': torch.tensor([[0.6784313917160034, -0.48235294222831726], [-0.7882353067398071, -0.40392157435417175], [-0.1764705926179886, 0.6313725709915161]], dtype=torch.float32), 'beta': torch.tensor([0.1, 0.13333333333333333, 0.16666666666666669, 0.2], dtype=torch.float64), 'noise': torch.tensor([[[-0.09919805079698563, 0.5452887415885925], [-0.6071857213973999, 0.12682785093784332], [-0.892274022102356, 0.8414649963378906]], [[0.18803508579730988, 0.3305709958076477], [0.41050392389297485, -1.0107574462890625], [0.7831810116767883, 2.0567028522491455]], [[-1.6384425163269043, -1.7294114828109741], [-1.5048314332962036, 0.8414589166641235], [0.1287156641483307, 1.0783424377441406]], [[0.7224308848381042, 0.21057181060314178], [0.28403815627098083, -0.16976049542427063], [0.8684602379798889, -1.129715919494629]]], dtype=torch.float32)}, outputs=[torch.tensor([9.588345278122453, 10.849316807261678, 11.731243237334262], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('vlb_no_prior', 'the prior term L_T = KL(q(x_T | x0) || N(0, I)) is missing from the sum.', (torch.tensor([9.30404281616211, 10.547845840454102, 11.496268272399902], dtype=torch.float32),)), ('vlb_nats', 'the bound is in nats; divide by ln 2 for bits.', (torch.tensor([6.646136283874512, 7.520174980163574, 8.131461143493652], dtype=torch.float32),)), ('vlb_no_decoder', 'the decoder term L_0 = -log p(x0 | x_1) (index 0) is missing from the sum.', (torch.tensor([3.1215150356292725, 3.3223488330841064, 3.3017680644989014], dtype=torch.float32),)), ('vlb_decoder_at_x_t', "the decoder's mean is x_1 itself; the decoder is centred at the model's prediction x0_pred from x_1.", (torch.tensor([9.676925659179688, 9.779023170471191, 10.368549346923828], dtype=torch.float32),)), ('vlb_decoder_variance_beta0', "the decoder's variance is beta at index 0; it is the posterior variance of index 1 (the posterior variance of index 0 is 0).", (torch.tensor([9.883035659790039, 10.726402282714844, 11.252803802490234], dtype=torch.float32),)), ('vlb_sum_over_dims', 'each term is summed over the data dimensions; bits per dimension average over them.', (torch.tensor([19.176694869995117, 21.698638916015625, 23.46243667602539], dtype=torch.float32),))]))]
    depends = [('normal_kl', dict(what='elementwise, equal shapes', inputs={'mean1': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'logvar1': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'mean2': torch.tensor([[-2.3250307746388343, -0.21879166393254573], [-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454]], dtype=torch.float64), 'logvar2': torch.tensor([[0.4116305363741328, 1.0425133694426776], [-0.12853466294403426, 1.3664634705496859], [-0.6651946734866135, 0.3515100700930197]], dtype=torch.float64)}, outputs=[torch.tensor([[2.264039323535858, 0.0035308054652899816], [2.0920500961687996, 0.9412746550803507], [0.0005172773576559387, 0.18342055599824822]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('normal_kl', dict(what='broadcasting: (2, 3) against (2, 1)', inputs={'mean1': torch.tensor([[0.345584192064786, 0.8216181435011584, 0.33043707618338714], [-1.303157231604361, 0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 'logvar1': torch.tensor([[-0.5369532353602852, 0.5811181041963531, 0.36457239618607573], [0.294132496655526, 0.02842224131579679, 0.5467129866124469]], dtype=torch.float64), 'mean2': torch.tensor([[-0.7364540870016669], [-0.16290994799305278]], dtype=torch.float64), 'logvar2': torch.tensor([[-0.48211931267997826], [0.5988462126346276]], dtype=torch.float64)}, outputs=[torch.tensor([[0.9488007300647558, 2.3819904468350286, 1.1643189643267484], [0.37820848054689105, 0.38136604716387235, 0.10265243430092981]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('normal_kl', dict(what='float32', inputs={'mean1': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 'logvar1': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 'mean2': torch.tensor([[-0.32882389426231384, -0.7921467423439026], [0.45495808124542236, -0.09919805079698563], [0.5452887415885925, -0.6071857213973999]], dtype=torch.float32), 'logvar2': torch.tensor([[0.12682785093784332, -0.892274022102356], [0.8414649963378906, 0.18803508579730988], [0.3305709958076477, 0.41050392389297485]], dtype=torch.float32)}, outputs=[torch.tensor([[0.16234801723575615, 1.4012201677683676], [0.22805962174384978, 2.3819467865022568], [0.6967139491556488, 1.1209204313453969]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[])), ('predict_x0_from_eps', dict(what='points at t = 0, 2, 5', inputs={'x_t': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'eps': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[-0.17016164227607453, -0.3528120041331781], [1.1827481042751944, 0.8989809142656161], [-0.02923925319823352, 0.5921451202620734]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('predict_x0_from_eps', dict(what='images (B, C, H, W)', inputs={'x_t': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]], [[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]], [[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]], [[0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707]], [[0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]]]], dtype=torch.float64), 't': torch.tensor([3, 5], dtype=torch.int64), 'eps': torch.tensor([[[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356]], [[0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813]], [[-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753]], [[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]], [[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[[[2.75370327204847, 2.680403357951376], [0.5816600498683913, -1.3508308300936427]], [[1.0060779757455713, 0.4010104104956073], [-2.5012333519187884, 1.7056980903598156]], [[0.7985357143204389, -1.3475830142584575], [-0.5114651743511037, 0.15438193986619336]]], [[[-0.5575155048225306, 2.191574873021352], [-1.1252979407366106, 0.9194531347057706]], [[1.923599117520336, 0.5014295668112331], [-1.3065761713735389, 0.959820675609527]], [[0.1629970197604998, -0.6429010334914104], [2.2885896567014754, 2.586029191477738]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('predict_x0_from_eps', dict(what='float32 data', inputs={'x_t': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 't': torch.tensor([1, 4, 2], dtype=torch.int64), 'eps': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[0.33847035109837653, -0.8840042583194065], [-0.9453348842474765, -3.0674540955323657], [1.5116785916828448, 1.5325627175402055]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[])), ('q_posterior_mean_variance', dict(what='points at t = 0 (the point mass at x0), 2 and 5', inputs={'x0': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'x_t': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[0.12573022109339319, -0.13210486329130178], [-0.019218782339245122, -0.5658417693998747], [-0.5760216071163988, 0.13116926185959524]], dtype=torch.float64), torch.tensor([[0.0], [0.0795974382433669], [0.24351399394039708]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), broadcast=(1,), known=[])), ('q_posterior_mean_variance', dict(what='images (B, C, H, W)', inputs={'x0': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]], [[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]], [[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]], [[0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707]], [[0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]]]], dtype=torch.float64), 'x_t': torch.tensor([[[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356]], [[0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813]], [[-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753]], [[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]], [[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 't': torch.tensor([3, 1], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[[[-1.4421698619332426, -0.7682602928709044], [0.032547993796316566, -0.7772853097025294]], [[0.4934957871848683, 0.3086968511471917], [1.0178078868180045, -0.41256603778663437]], [[-0.07197367298443993, 1.3124876043248264], [0.3891582075679864, 0.6098144534194097]]], [[[-0.663187091721138, -0.6486452898223681], [-0.26929398352209083, 0.4382020759006913]], [[-0.3748054317850314, -0.42009271865364584], [-0.5491609763789341, -0.4819414003042848]], [[-0.02667415358456506, -0.15402269460323964], [0.8815016697705786, 0.5110884594674999]]]], dtype=torch.float64), torch.tensor([[[[0.13055422838031533]]], [[[0.03448275862068968]]]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), broadcast=(1,), known=[])), ('q_posterior_mean_variance', dict(what='float32 data', inputs={'x0': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 'x_t': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 't': torch.tensor([4, 0, 1], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[-0.14528521885174772, 0.3207209866045204], [-0.4130635559558865, -2.4414672851562482], [1.5295439669552886, 0.6675069209780122]], dtype=torch.float64), torch.tensor([[0.18556609628513165], [0.0], [0.03448275862068968]], dtype=torch.float64)], dtypes=['float32', 'float32'], tol=(0.0001, 1e-05), broadcast=(1,), known=[])), ('q_sample', dict(what='points, one step per sample (t = 0, 2, 5)', inputs={'x0': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'noise': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[0.4141299351498448, 0.0830138479303536], [0.1780921890523826, -0.5720508515258116], [-0.8154622752303338, 0.2342205775344458]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('q_sample', dict(what='images (B, C, H, W)', inputs={'x0': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]], [[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]], [[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]], [[0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707]], [[0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]]]], dtype=torch.float64), 't': torch.tensor([1, 4], dtype=torch.int64), 'noise': torch.tensor([[[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356]], [[0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813]], [[-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753]], [[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]], [[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[[[-0.7128313097314842, 0.04040434457072284], [0.23899141101228605, -1.3657454220876715]], [[0.9185010870587857, 0.49549937554730256], [0.309948665214538, 0.11389299594931024]], [[0.19331857472594272, 1.0498374256548562], [0.2725381336522109, 0.7580117884831418]]], [[[-0.8723120283036621, -1.3452245809266672], [-0.19260272623619, 0.4773084780854828]], [[-0.8954695883216247, -0.7062011547640223], [-0.5704284332475955, -0.8793109247586216]], [[-0.06842079488268735, -0.1102873373245006], [0.8812472174250976, 0.28457331697161015]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('q_sample', dict(what='float32 data: a float32 x_t', inputs={'x0': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 't': torch.tensor([5, 0, 3], dtype=torch.int64), 'noise': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[-0.16679990831791586, 0.3561791447793751], [-0.33972393773904475, -2.503486499076254], [2.0047488571362706, 0.6714938545270867]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[]))]
    run_cases(functions, cases, depends)

