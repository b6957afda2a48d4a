from otter.test_files import test_case

OK_FORMAT = False

name = "red"
points = 2.5

@test_case(points=None, hidden=False)
def test_red(red_step_matrix, red_fixed_point_matrix, data_prox_matrix):
    """The public cases of red: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'red_step_matrix': red_step_matrix, 'red_fixed_point_matrix': red_fixed_point_matrix, 'data_prox_matrix': data_prox_matrix}
    cases = [('red_step_matrix', dict(what='a non-symmetric denoiser, 3 measurements of 4 unknowns', inputs={'x': torch.tensor([[-0.7714085054126993, -0.2473480303083235, -0.439390713180256, 0.6423105988391403], [0.46328985849186866, -0.5148609035035449, -0.8574294637822417, 0.1513620808795954]], dtype=torch.float64), 'y': torch.tensor([[-0.6615861100167054, -0.1489788645933131, 0.38686221885475636], [0.22713226547654342, -0.7254454450729044, -0.6838906635029195]], dtype=torch.float64), 'H': torch.tensor([[0.172792096032393, 0.4108090717505792, 0.16521853809169357, -0.6515786158021805], [0.45267793333655887, 0.22318728618200565, -0.2684766176801426, 0.29055905209817656], [0.18228619809303787, 0.147066248327763, 0.014211120657898394, 0.27335649330622347]], dtype=torch.float64), 'sigma_y': 0.5, 'lam': 2.0, 'mu': 0.05, 'denoiser': TestModel(W=torch.tensor([[0.16042415228328186, -0.4091151136951535, 0.3658261418927204, -0.25072000923352616], [0.43958030914399265, -0.5358937084387221, 0.4572336015643906, -0.01003172730774021], [-0.6243744451672077, -0.15694973598342388, 0.027051139385771944, 0.13639566958222687], [-0.49109406247048887, -0.5536865235825965, 0.09979226642354042, -0.23337480843990102]], dtype=torch.float64), b=torch.tensor([0.07065168351906756, 0.22785585674351375, -0.4946362099052845, 0.07631643495528519], dtype=torch.float64), c=torch.tensor([0.6123234837678662, -0.1487634221852366, -0.40540729161878497, 0.3761219135897964], dtype=torch.float64), A=torch.tensor([[0.697005449430277, 0.09945950585643924, -0.07710095575311943, -0.24721127562834788], [0.02511971163341117, 0.6163521131732321, -0.1841028081366861, -0.10248399926708433], [-0.010806551959084114, -0.1417127434591166, 0.5852595048221674, 0.01432245412041815], [0.005337935558322857, -0.07594374874714721, 0.08906221076787342, 0.7336750431423492]], dtype=torch.float64), time='level'), 'sigma': 0.3}, outputs=[torch.tensor([[-0.7598029477137508, -0.2462524554384552, -0.4120244851958057, 0.6801602831651364], [0.3608477891415073, -0.474298732552806, -0.8062529802259888, -0.024737645290998533]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('red_jacobian_term_kept', "this differentiates rho(x) = 1/2 x^T (x - D(x)) literally, Jacobian term included; RED's algorithm steps along the denoising residual x - D(x) itself (the two agree only under the conditions of Question 12).", (torch.tensor([[-0.7575998875599624, -0.22631854801265874, -0.4230001736539195, 0.6692093964253591], [0.3563773087344876, -0.48414548617505004, -0.7748375965121159, -0.0432158097044642]], dtype=torch.float64),)), ('red_residual_sign', "the prior's direction is D(x) - x, so the step moves away from the denoised image; the gradient of the RED term is the residual x - D(x), which the descent step subtracts.", (torch.tensor([[-0.758697726084041, -0.219037375449399, -0.4549758534818054, 0.6250912908132185], [0.3563229543526498, -0.5971809489275143, -0.7555987235063335, -0.03474853288174401]], dtype=torch.float64),))])), ('red_step_matrix', dict(what='inpainting, float32', inputs={'x': torch.tensor([[-0.5848597884178162, -0.4788283407688141, -2.5998966693878174], [1.890699028968811, 1.124326229095459, -0.21636506915092468]], dtype=torch.float32), 'y': torch.tensor([[-0.29060646891593933, -2.3571040630340576], [1.6335605382919312, -0.03215260058641434]], dtype=torch.float32), 'H': torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float32), 'sigma_y': 0.5, 'lam': 1.0, 'mu': 0.05, 'denoiser': TestModel(W=torch.tensor([[1.0283514091711843, -0.8192212516177626, -0.8647057335772408], [-0.75241570693216, 0.4207294467269999, 0.06435782873703423], [0.539171220369649, 0.3612154361537495, 0.10528590618764029]], dtype=torch.float64), b=torch.tensor([0.08521144357511125, -0.050928149316940625, 0.26053806336345303], dtype=torch.float64), c=torch.tensor([-0.5648579808903774, -0.2109294130891581, 0.1214694265493676], dtype=torch.float64), A=torch.tensor([[0.4948323518194789, 0.02196722750123363, -0.15454639774953158], [0.14574600849346292, 0.6325686324256181, 0.05725657815996495], [0.07110136339703278, -0.17506833443968825, 0.7356509276843947]], dtype=torch.float64), time='level'), 'sigma': 0.2}, outputs=[torch.tensor([[-0.44343165057355505, -0.4828283094123819, -2.5370618974088344], [1.8358350745371035, 1.0776114427729626, -0.1330909582923829]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('red_jacobian_term_kept', "this differentiates rho(x) = 1/2 x^T (x - D(x)) literally, Jacobian term included; RED's algorithm steps along the denoising residual x - D(x) itself (the two agree only under the conditions of Question 12).", (torch.tensor([[-0.5038732886314392, -0.48842769861221313, -2.5308339595794678], [1.8241385221481323, 1.084768295288086, -0.1727827936410904]], dtype=torch.float32),)), ('red_residual_sign', "the prior's direction is D(x) - x, so the step moves away from the denoised image; the gradient of the RED term is the residual x - D(x), which the descent step subtracts.", (torch.tensor([[-0.6085866093635559, -0.4748283624649048, -2.5656144618988037], [1.842707633972168, 1.1710410118103027, -0.22595418989658356]], dtype=torch.float32),))])), ('red_fixed_point_matrix', dict(what='a non-symmetric denoiser', inputs={'x': torch.tensor([[0.10573018866842021, -0.7219704115773328, -1.1038622870209422, -0.19033825697951648], [0.30465339987466844, -0.2968976530613395, 1.134266496451061, -0.08373212582840016]], dtype=torch.float64), 'y': torch.tensor([[0.46425062156084596, 1.710437417949586, -0.8749556147990599], [0.9020084065923212, -1.0823714275380418, -0.29933920757802285]], dtype=torch.float64), 'H': torch.tensor([[1.0204595606925912, -1.2778325156570909, 0.20904942336288942, -0.2838848030639649], [-0.22632464605522293, -0.10779858154488295, -1.0099930645736255, -0.11596618882209474], [-0.43260653813747085, 1.6614997583224413, 0.11289330661396088, -0.1763153971707977]], dtype=torch.float64), 'sigma_y': 0.5, 'lam': 2.0, 'denoiser': TestModel(W=torch.tensor([[-0.10276152495289624, -0.46294978682418403, 0.292029155512624, 0.29126920932784506], [-0.1074144555634279, -0.3914042889819831, 0.11457695260663127, -1.2469471392289952], [0.345062385081406, 0.2456841303724956, -0.8194285719452442, 0.030676754919085794], [-0.4820498317706202, 0.3786105223790752, -1.017083636721714, -0.45724726899729434]], dtype=torch.float64), b=torch.tensor([0.21287399632262025, 0.34692031452964706, -0.6474016140378623, -0.14941195342539101], dtype=torch.float64), c=torch.tensor([0.16401004627128848, -0.3046080689749353, 0.7953201156615719, -0.5956133408088904], dtype=torch.float64), A=torch.tensor([[0.6137275054923528, 0.1005156532242719, -0.4242243460265644, 0.15319602262501197], [-0.14394671397122125, 0.34970702360160455, 0.041466863928149945, 0.10508173280240851], [-0.06671511835241761, -0.16146087601512113, 0.603918725030105, -0.00791209623643189], [0.21083972490271388, 0.11211119812190257, 0.029072346939693, 0.7667449807835988]], dtype=torch.float64), time='level'), 'sigma': 0.3}, outputs=[torch.tensor([[0.48876566239586156, -0.22781637074520406, -1.2888432412603061, 0.188491992349638], [0.5267921159002357, -0.04757689674297913, 0.631299067659783, -0.7473315575577819]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('fixed_point_ignores_lam', "the data prox is taken with rho = 1; RED's fixed-point equation weighs the frozen D(x) by lam: (H^T H / sigma_y**2 + lam I) x' = H^T y / sigma_y**2 + lam D(x).", (torch.tensor([[0.46956041865377607, -0.25876048578933586, -1.4828202417140866, 0.1514153764061764], [0.4827543764543506, -0.09369988321902373, 0.7899403424939069, -0.6494470603261765]], dtype=torch.float64),))])), ('red_fixed_point_matrix', dict(what='float32 inputs', inputs={'x': torch.tensor([[0.10736894607543945, 0.311418741941452, 1.5536142587661743], [0.6131592988967896, 0.14462587237358093, -1.4937329292297363]], dtype=torch.float32), 'y': torch.tensor([[2.074563503265381, -0.7104798555374146, -1.199237585067749], [-1.7038443088531494, -0.6230315566062927, 1.1192876100540161]], dtype=torch.float32), 'H': torch.tensor([[-0.3763118088245392, -0.10087307542562485, 0.9605515003204346], [0.38055911660194397, -0.9476611614227295, -0.003004105994477868], [-0.3599569499492645, 0.08581244945526123, -0.9284876585006714]], dtype=torch.float32), 'sigma_y': 0.3, 'lam': 1.0, 'denoiser': TestModel(W=torch.tensor([[0.47959242933725554, -0.4899272831873384, -0.3988978789447691], [-0.10166624288595129, 0.3739798629815673, 0.42548364548777134], [-0.35484243535434246, -0.30359859262766564, -0.3989114575832643]], dtype=torch.float64), b=torch.tensor([-0.1752714687472041, -0.07137701326941782, -0.03954451430707932], dtype=torch.float64), c=torch.tensor([1.0290572342488555, -0.25320182989321494, -0.14436218351461097], dtype=torch.float64), A=torch.tensor([[0.4454914051441097, 0.13438494599596887, -0.36685876065460177], [-0.059529607664666674, 0.636403018852161, -0.2570828599559994], [0.17064434459189662, 0.030954073922792143, 0.7743927082809396]], dtype=torch.float64), time='level'), 'sigma': 0.5}, outputs=[torch.tensor([[-1.0662725586098343, 0.3045855935764385, 1.6956412123367421], [0.8436244438116963, 0.891256880999521, -1.3707315445415331]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[]))]
    depends = [('data_prox_matrix', dict(what='3 measurements of 4 unknowns', inputs={'v': torch.tensor([[-0.17477209205516195, -0.42219041157635356, 0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813, -0.37760500712699807, 2.0427716074923303]], dtype=torch.float64), 'y': torch.tensor([[-0.6615861100167054, -0.1489788645933131, 0.38686221885475636], [0.22713226547654342, -0.7254454450729044, -0.6838906635029195]], dtype=torch.float64), 'H': torch.tensor([[0.172792096032393, 0.4108090717505792, 0.16521853809169357, -0.6515786158021805], [0.45267793333655887, 0.22318728618200565, -0.2684766176801426, 0.29055905209817656], [0.18228619809303787, 0.147066248327763, 0.014211120657898394, 0.27335649330622347]], dtype=torch.float64), 'sigma_y': 0.5, 'rho': 2.0}, outputs=[torch.tensor([[-0.16093255591285746, -0.4630819153718953, 0.21674831809356274, 0.5327655026223131], [1.1814096866886636, -1.2507499601480412, 0.3253690645839816, 0.23083482568428454]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('data_prox_matrix', dict(what='inpainting: H selects 2 of 4 pixels', inputs={'v': torch.tensor([[0.45495807124085547, -0.09919805171738795, 0.5452887139646817, -0.6071856998706371], [0.12682784711186987, -0.8922740434297903, 0.8414649723701431, 0.18803508698068597]], dtype=torch.float64), 'y': torch.tensor([[2.092977618058713, 1.050998908039483], [0.18256349858026044, -0.7914668630317219]], dtype=torch.float64), 'H': torch.tensor([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), 'sigma_y': 0.1, 'rho': 1.0}, outputs=[torch.tensor([[0.45495807124085547, -0.09919805171738795, 2.0776539655429307, 1.0345812386542343], [0.12682784711186987, -0.8922740434297903, 0.18908727554847712, -0.7817688239226881]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('data_prox_matrix', dict(what='float32 inputs', inputs={'v': torch.tensor([[-0.6720146536827087, 0.38018909096717834, -0.11005869507789612], [1.4825711250305176, -1.8296040296554565, -0.0030809645541012287]], dtype=torch.float32), 'y': torch.tensor([[2.074563503265381, -0.7104798555374146, -1.199237585067749], [-1.7038443088531494, -0.6230315566062927, 1.1192876100540161]], dtype=torch.float32), 'H': torch.tensor([[-0.3763118088245392, -0.10087307542562485, 0.9605515003204346], [0.38055911660194397, -0.9476611614227295, -0.003004105994477868], [-0.3599569499492645, 0.08581244945526123, -0.9284876585006714]], dtype=torch.float32), 'sigma_y': 0.5, 'rho': 1.0}, outputs=[torch.tensor([[-0.9395716732992403, 0.3343115002594401, 1.52952910072947], [0.6982879499492275, 0.3659844586408462, -1.2735503406227722]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[]))]
    run_cases(functions, cases, depends)

