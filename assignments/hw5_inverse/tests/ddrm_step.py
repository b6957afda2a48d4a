from otter.test_files import test_case

OK_FORMAT = False

name = "ddrm_step"
points = 4

@test_case(points=None, hidden=False)
def test_ddrm_step(ddrm_step):
    """The public cases of ddrm_step: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'ddrm_step': ddrm_step}
    cases = [('ddrm_step', dict(what='super-resolution x2 (s = 1/2), sigma_y = 0.2: samples 0-1 noisier than y (the third case), samples 2-3 less noisy (the second)', inputs={'x_t': torch.tensor([[[[0.18851919251246557, -0.6331940901922267, -0.37756350523280824, -1.0911461176191954], [-1.277680166386608, 0.6304114907682319, 0.5811658124128057, 1.294558819441117], [-0.7546057912599311, 1.689107452443673, -0.2873877078086663, 1.5744082788445868], [-0.4327858471825968, -0.735483292342275, 0.24978537155866684, 1.0314530848694723]]], [[[0.16100957671534466, -0.5855288241233366, -1.341219714076669, -1.401520214917428], [0.5026828498748657, 0.989713033285805, -0.1642945926252907, -1.0743648582284346], [0.8730421526217066, -1.2803939447145731, -0.7130680950592722, 0.6210178535400985], [-2.2501411735745918, 0.38636959756630584, -0.5816408364095031, 0.10927969747781388]]], [[[-0.07570152622082311, 0.20211439504395987, 0.6941719367070082, -0.7583697508984092], [1.4209820223119163, 0.726093788947765, 0.843732662303268, 1.1648639811110282], [0.7875882217058694, 0.844078680578592, 0.07559361074288512, -1.4267738509897323], [-0.13504510003701392, -0.7695146401767057, -1.4227417685154136, 0.25845279091298756]]], [[[-0.5685494541476426, -1.0298044380114637, -1.0430010800715654, 0.26841707970891465], [0.35867194917034445, 1.3224574697668332, -0.013914668524093734, 1.0418397592128221], [1.4022648267725224, 1.1501656361496921, -2.3653039062769743, 1.228683719203421], [0.33962000824864264, 0.42377135285334727, 0.37122741773625884, 0.3827571602707609]]]], dtype=torch.float64), 't': torch.tensor([19, 12, 3, 1], dtype=torch.int64), 't_prev': torch.tensor([15, 10, 1, 0], dtype=torch.int64), 'x0_pred': torch.tensor([[[[0.3194142202523809, -0.35891330853862047, -1.9016352983759945, -0.10891472790742324], [-0.8037318485206766, 1.0801634125378852, -0.2887665059953775, 0.08347535610700986], [-0.8496059556101431, -0.5106224678981267, -0.011533061686586776, -1.4853751842635452], [0.3006851142946058, -0.10607225344775092, -1.1857198050052338, -2.3982328653977714]]], [[[0.513052133880305, -0.29758403894333035, -0.5300084132181584, -0.23615462985294203], [1.816475940881144, -0.049800969059643194, 0.08661926298854213, -1.487072869675398], [1.6473390663560998, 0.9174879834442943, 1.066934867005179, 0.0476727312116796], [0.9166547888245957, 0.37094683509441023, 0.6131890778590062, -0.1521929584082903]]], [[[-1.473887948041959, 1.028854347803183, -1.934959636609707, -0.23993667125803605], [-0.20452248839966083, -1.0428601409845046, 0.6131231363365798, -0.20032970140956835], [-0.4368683255972816, 0.5198417309776412, -0.47657904055841377, 1.3889799748383085], [0.35145507618731386, -0.47433298683443925, -1.9442649759855442, -1.3077531969011476]]], [[[1.0868307847683634, -0.050604063111342405, -0.2831250656795347, 1.643251614242697], [-1.2826492440738984, -0.5856577998413593, -0.47258767675848407, 0.5863372815313004], [-0.663535198304047, -0.6134178486140281, -1.6051493968851136, 0.7293494040178566], [0.8061393585150219, -0.476376747401162, 0.16333994554129863, -1.2926461227593415]]]], dtype=torch.float64), 'y': torch.tensor([[0.020681685779656706, 0.6973864348691405, -0.8115502105956818, -0.3759594988702885], [0.22101294165977983, -0.155587150523526, 0.20039373915582565, -0.5842673578503623], [0.1003368980834892, 0.588278202765568, 0.41575003727261917, 1.1222802621147552], [0.809884254776143, -0.249034408674886, -0.11027176126768438, 0.2498876692019906]], dtype=torch.float64), 'op': TestOperator(torch.tensor([[0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5]], dtype=torch.float64), torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), torch.tensor([0.5, 0.5, 0.5, 0.5], dtype=torch.float64), shape=(1, 4, 4)), 'alpha_bar': torch.tensor([0.99, 0.9649894736842105, 0.9258820055401662, 0.8742275357573991, 0.8121113687430576, 0.7420133348094462, 0.666640401326171, 0.5887487333817447, 0.5109719270244721, 0.43567080093665517, 0.36481697067906227, 0.2999179516845764, 0.24198643154339772, 0.19155136475856324, 0.14870434895730567, 0.11317183610119158, 0.08440236408178341, 0.06165814807658704, 0.04410180170320094, 0.030871261192240654], dtype=torch.float64), 'sigma_y': 0.2, 'eta': 0.85, 'eta_b': 1.0, 'noise': torch.tensor([[[[-0.4718131547409021, 1.377950952722521, 0.13573073406713437, 2.310363486795888], [-0.7871927421571577, 0.5802844167243075, -0.19550582783310236, 0.5658178468280931], [-0.0072113596587564995, -0.5611981104091591, -0.8676167643217026, 3.0660367390488967], [-0.07734505972421603, -2.016660690233245, -0.6486006079033346, 0.6780397271239971]]], [[[-0.5000084331847482, 1.3604462024852575, 1.0023982728439578, -0.1523386358242358], [-0.47221594277604334, -1.0048010070276965, -0.6999665423133247, -1.473143074665625], [1.2043962915330844, 1.5907007871260619, -1.256138069727733, -1.1816829756864633], [-1.768511857086917, -0.963854230732174, -3.1063368012832915, -1.1422789566319196]]], [[[1.2969153998005238, -0.345672529464465, 0.8545842348534083, -0.4889690638420449], [1.760667296993123, 0.19921798301385701, -0.3820022921434805, 2.552424025371081], [-0.3244718562854392, -1.2212233497261362, 0.2019100019601099, -0.03883503855807973], [1.066324553166257, -0.9216339244978112, 0.8047169314794976, 0.8527484705742913]]], [[[-0.6676872919350705, 0.16324400572267767, -0.8307519568543374, 2.3458080738406677], [-0.7041395622801669, -0.4530744436687142, -1.0658380219633747, -0.3461212751731734], [-0.005876026696904225, 0.7677891353446865, -0.6104866460656994, -0.1857739586715857], [-1.416489366414042, -0.8274022267661552, 2.755807558275951, 1.0412431916947957]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[-0.05065334582687032, 0.8477913665297048, -0.1396759471586425, 1.6858017700501684], [-1.3203417204230656, 1.2027519521736576, 0.47808742762353984, 1.5392551202917435], [-0.8555473230987091, 0.016466332302424877, -0.9040527581380526, 2.8175442260347174], [-0.4643919925283774, -2.2700912146110794, -0.7490942700785113, 0.40617654412260595]]], [[[-0.2625493830776678, 0.340464697700556, 0.39543572178333986, -0.308120657938139], [0.3991192224599415, -0.411347107583679, 0.03589715376410928, -1.5039434005783325], [1.8839836095424527, 0.8395562251247092, -1.3699497223312258, -1.0500455453885256], [-1.9040299891099006, -0.2877148938168783, -2.7263933344839106, -1.3434289924177498]]], [[[-1.0185503820768613, 0.6055810981039796, -1.0651710747929717, -0.4579558344810615], [0.388263862751561, -0.65888299899321, 0.6206436929938892, 0.588903043333633], [-0.09654275650360152, 0.46773098183688955, 0.15227191298600964, 1.0442419868574062], [0.43776835614743154, -0.6513533795572929, -1.2286523217121579, -0.29389384910235306]]], [[[0.6346832816892329, -0.24170835051912837, -0.5649080140967048, 1.4582663506998068], [-0.8096633002678819, -0.0162475865126368, -0.4312812771370835, 0.687884301197611], [-0.3646195093599172, -0.3338271319690943, -1.8837640017903312, 0.8413312736847809], [0.27215749131214806, -0.5754699792422219, 0.44332661627077835, -0.7451818728076554]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('case_comparison_reversed', "the two observed cases are swapped: check each condition against the step's definition above Question 3 (your Question 3(b) explains which way it goes).", (torch.tensor([[[[-0.10849922298805424, 0.7899454893685208, 0.8986214072979478, 2.724099124506759], [-1.3781875975842495, 1.1449060750124738, 1.51638478208013, 2.577552474748334], [-1.2380602958428095, -0.36604664044167573, -0.16912783654831892, 3.552469147624451], [-0.8469049652724778, -2.65260418735518, -0.014169348488777468, 1.1411014657123397]]], [[[-0.37222774457287844, 0.2307863362053454, 0.5946017484504509, -0.108954631271028], [0.28944086096473093, -0.5210254690788896, 0.23506318043122035, -1.3047773739112214], [1.5428377224744287, 0.4984103380566851, -1.668665982905328, -1.3487618059626278], [-2.2451758761779246, -0.6288607808849023, -3.025109595058013, -1.6421452529918523]]], [[[-0.7490884512266537, 0.8750430289541872, -0.40888754105045905, 0.1983276992614512], [0.6577257936017685, -0.3894210681430024, 1.276927226736402, 1.2451865770761457], [0.27246382635519467, 0.8367375646956856, 1.3362394013721426, 2.2282094752435393], [0.8067749390062275, -0.28234679669849677, -0.044684833326024666, 0.8900736392837799]]], [[[1.548741929604556, 0.6723502973961946, -1.1001844623013997, 0.9229899024951119], [0.10439534764744096, 0.8978110614026861, -0.9665577253417782, 0.15260785299291624], [-0.2238987441741122, -0.19310636678328938, -1.299056914085889, 1.4260383613892231], [0.41287825649795307, -0.43474921405641687, 1.0280337039752208, -0.16047478510321303]]]], dtype=torch.float64),)), ('singulars_not_zeroed', 'the singular values are padded with ones, so the null-space coordinates are treated as observed (with y_bar = 0 there) and pulled towards 0; pad with zeros (op.add_zeros): s_i = 0 marks a coordinate y does not see.', (torch.tensor([[[[-0.43748937677229877, 1.3000105918626468, 0.35699129297937265, 2.399643285421846], [-0.7337282436812684, 0.5507552810443471, 0.04585782812821255, 0.7609759642773782], [-0.2749571375460375, -0.7953218468456168, -0.9454787430528784, 2.749437171441537], [-0.34083434922525596, -2.162450864318831, -0.7397549086612079, 0.506370222213309]]], [[[-0.25604106763558915, 1.2095796455698276, 0.7050486895668939, -0.2046248381820958], [-0.2341468226303129, -0.6537043258047749, -0.6360327249918065, -1.2451223093620138], [1.0693882288488246, 1.3737094735006952, -1.2951563910549035, -1.236502486821843], [-1.2725961858937032, -0.6387065647154334, -2.752697753538947, -1.205460963205718]]], [[[-0.59474320763388, 0.36911632966471286, -0.7748461120043898, -0.15880913416979803], [0.1003741431777147, -0.5583356854230783, 0.2757800265262367, 0.3442950467014401], [-0.1654648447241512, 0.16022587060414645, -0.06875636995401964, 0.8061542114524716], [0.44162139776266934, -0.2787792217192378, -0.6913223506477402, -0.3721077618218067]]], [[[0.8176306432060004, 0.05611691243155524, -0.26201808449255376, 1.417319171343536], [-0.9189701319918745, -0.38771337925609545, -0.42061050611581335, 0.4152707799284606], [-0.5316467550163313, -0.42921955900376507, -1.2593192193986447, 0.4846915615496886], [0.4236592752773493, -0.4645520905163382, 0.3206356819062506, -0.890296008699722]]]], dtype=torch.float64),)), ('unscaled_sigma', "the noise levels are sqrt(1 - alpha_bar), not the sigma of the notation table: DDRM's step works in the scaled variable x / sqrt(alpha_bar) (your Question 3(b)).", (torch.tensor([[[[0.3716659702662773, -0.036245887489488905, -0.40387587320016766, -0.20759288913523044], [-1.3153370825944224, 1.2082888623444326, 0.7011089169268789, 1.65654783866754], [-1.0514571218622044, 1.2137129475485466, -1.0370612360399263, 1.572560926144965], [-0.5678717326823269, -1.450030304619496, -0.6557576163180904, 0.25331013518882844]]], [[[-0.12946433436473023, -0.06375250884389853, 0.11265887750596898, -0.3036299218577029], [0.49184195838345446, -0.02137544090622683, 0.3057842433981031, -1.041576047447402], [1.681034007727401, 0.33582595974128754, -1.007055158815079, -0.5054626816351169], [-1.6131036150403133, 0.10651417932120953, -1.8281935478107791, -0.8548386988736039]]], [[[-1.0197095039041952, 0.5800175671113801, -1.0494594711654686, -0.4812099549984664], [0.3901617037567296, -0.6513474232250349, 0.6084092364725693, 0.5836469679549343], [-0.0833431980879095, 0.4716573072935088, 0.15276245548050976, 0.9997243311978156], [0.4237071157083115, -0.6578938035976082, -1.2316286442825757, -0.28172301504206143]]], [[[0.6275487523892507, -0.24681854127011862, -0.5658366087902474, 1.4538783958418602], [-0.8049832538710467, -0.010662742427115884, -0.4277045238956987, 0.6912107084801423], [-0.36110261881991806, -0.3317322201943275, -1.8882964303705285, 0.8413330749428073], [0.26718967807376154, -0.5758166404057381, 0.44098235382951095, -0.7415689958897781]]]], dtype=torch.float64),)), ('x0_bar_with_V', 'x0_pred is taken to spectral coordinates with op.V instead of op.V_T (V maps spectral to data; V_T data to spectral).', (torch.tensor([[[[-0.014977413739775014, 1.2844365000987168, -0.016805636506104605, 1.8491919480950938], [-1.194577098990519, 0.6046662650850035, 0.1982992431129385, 1.5327828161048818], [-1.0130990142697864, -0.2034507892342348, -1.3367146145000768, 2.8816541597901337], [0.2484370299623442, -2.605451424394064, -0.5648183087752074, 0.5904525054259101]]], [[[-0.3769430838002856, 0.48849002019183924, 0.6199590769162862, -0.5853892336117377], [-0.6473514518217288, 0.6014919449293261, -0.12175859380406852, -1.2935424324695026], [1.1390590721428595, 1.3786864841835866, -2.0697299386261707, -0.767500839984966], [-1.6428385064090723, -0.3431120981769911, -2.5177755790382177, -1.1348112369720573]]], [[[-0.6193690380694283, -1.7775040866516194, -0.1503215631566416, 1.1607548455255772], [0.8435091595311601, 0.5638299297456814, -0.001909185067166859, -0.9442604088393383], [0.04366633960041811, -1.3716262605270426, 0.11564250698336451, -1.0552549716753938], [1.9584074105917375, 0.22731348876506663, 0.9746320594339469, 1.9093905320437519]]], [[[0.2631469313116085, -0.37475703859754944, -1.1339201272289232, 0.8513430099708872], [0.3956608406387523, -1.081281667672437, 1.183461477240802, -0.27878200330009506], [0.9946932701383507, -0.7862124124133777, 1.4409952690119014, -0.26571002552243717], [-0.469023917500845, -0.5634033403234483, 0.9824020158374684, -0.2061064732409651]]]], dtype=torch.float64),))])), ('ddrm_step', dict(what='inpainting (unobserved entries: the first case), eta_b = 0.4, eta = 0.5', inputs={'x_t': torch.tensor([[[[-0.7819084623568421, -0.2571922406188707, 0.008142180518343508], [-0.2756029052993704, 1.2940638143982073, 1.0067243153057943]]], [[[-2.7111624789659685, -1.8890132459676727, -0.17477209205516195], [-0.42219041157635356, 0.2136429974986111, 0.21732193102256359]]]], dtype=torch.float64), 't': torch.tensor([18, 6], dtype=torch.int64), 't_prev': torch.tensor([9, 2], dtype=torch.int64), 'x0_pred': torch.tensor([[[[2.1178387550510482, -1.1120207626922813, -0.37760500712699807], [2.0427716074923303, 0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527, 0.16746474422274113], [0.10901408782154753, -1.2273520542445742, -0.6832266617805622]]]], dtype=torch.float64), 'y': torch.tensor([[0.25679166748322046, 0.8890648718738124, 0.39816264109601346], [0.4244570174495385, 0.032394452063962687, 0.517467311515938]], dtype=torch.float64), 'op': TestOperator(torch.tensor([[0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]], dtype=torch.float64), torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64), torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64), shape=(1, 2, 3)), 'alpha_bar': torch.tensor([0.99, 0.9649894736842105, 0.9258820055401662, 0.8742275357573991, 0.8121113687430576, 0.7420133348094462, 0.666640401326171, 0.5887487333817447, 0.5109719270244721, 0.43567080093665517, 0.36481697067906227, 0.2999179516845764, 0.24198643154339772, 0.19155136475856324, 0.14870434895730567, 0.11317183610119158, 0.08440236408178341, 0.06165814807658704, 0.04410180170320094, 0.030871261192240654], dtype=torch.float64), 'sigma_y': 0.1, 'eta': 0.5, 'eta_b': 0.4, 'noise': torch.tensor([[[[-0.07204367972722743, -0.9447516230607774, -0.09826996785221727], [0.09548302746945433, 0.03558623705548571, -0.5062916583143148]]], [[[0.5937480717858228, 0.8911669542823284, 0.3208483045665637], [-0.818230227390307, 0.7316522837854408, -0.5014400184670523]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[0.5545893286982471, -1.1045965173665129, -0.15552183300846112], [0.9153575474076252, 0.5175639211603378, -0.01238276267492306]]], [[[-1.3495041004457702, -1.6864109260090443, 0.34652561740868265], [-0.21523313326101792, -0.4989380106524019, -0.3304271811008956]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('case_comparison_reversed', "the two observed cases are swapped: check each condition against the step's definition above Question 3 (your Question 3(b) explains which way it goes).", (torch.tensor([[[[0.5545893286982471, -1.1045965173665129, 3.8410709597415074], [0.9153575474076252, 2.0169692206200884, -1.4758864713858257]]], [[[-1.3495041004457702, -1.6864109260090443, 0.8107302182158186], [-0.21523313326101792, 1.8887338554984348, 2.1052245794529507]]]], dtype=torch.float64),)), ('singulars_not_zeroed', 'the singular values are padded with ones, so the null-space coordinates are treated as observed (with y_bar = 0 there) and pulled towards 0; pad with zeros (op.add_zeros): s_i = 0 marks a coordinate y does not see.', (torch.tensor([[[[0.7846451935663391, -1.149672418547509, -0.15552183300846112], [0.8806875951121467, 0.5175639211603378, -0.01238276267492306]]], [[[-0.13673259694025283, -0.711314110978344, 0.34652561740868265], [-0.1575848400794326, -0.4989380106524019, -0.3304271811008956]]]], dtype=torch.float64),)), ('unscaled_sigma', "the noise levels are sqrt(1 - alpha_bar), not the sigma of the notation table: DDRM's step works in the scaled variable x / sqrt(alpha_bar) (your Question 3(b)).", (torch.tensor([[[[-1.1854481981817309, -1.017707889533996, -0.1304027222883812], [-0.101593146722981, 0.5084676056913836, 0.11703211859353758]]], [[[-1.5195919549829706, -1.7306029033140826, 0.34319139986583974], [-0.2482891951204301, -0.5065412544443677, -0.3252162758772732]]]], dtype=torch.float64),)), ('x0_bar_with_V', 'x0_pred is taken to spectral coordinates with op.V instead of op.V_T (V maps spectral to data; V_T data to spectral).', (torch.tensor([[[[-0.405640450590416, -1.1045965173665129, 0.8030251963665527], [-0.6822208348840645, 0.5175639211603378, 0.5637551048982746]]], [[[-1.5123325385676216, -1.6864109260090443, 0.3127799155767078], [-0.15899029687439328, -0.4989380106524019, -0.23273011822778478]]]], dtype=torch.float64),))])), ('ddrm_step', dict(what='sigma_y = 0, eta_b = 1, the last step (t_prev = -1): H x = y', inputs={'x_t': torch.tensor([[[[0.2429388530987352, 1.8014208584493328, -0.7644641157203993, -1.0790604591369424], [-0.5632871985040379, 0.9692722011381628, -0.23500550689182578, 1.324347019236957], [-1.872529517606024, 1.128523141900478, 1.0348662399295387, -1.4186656898014849], [0.15358188653595775, 1.2157576351945363, 0.08791904230952238, 0.99970142215178]]], [[[2.3748869133171437, 0.2739322545923299, -0.2803823139429379, -0.7710521598195307], [0.6480646015444852, -0.19673006635772372, -0.17874637079406783, -0.1052597784150319], [0.6498696525854939, -1.0663396121649127, -1.5298764906705564, -2.4338766971489387], [1.1986708993900783, 0.07379335958326627, 1.5101194131223459, -0.00895629811039896]]]], dtype=torch.float64), 't': torch.tensor([4, 2], dtype=torch.int64), 't_prev': torch.tensor([-1, -1], dtype=torch.int64), 'x0_pred': torch.tensor([[[[-0.7421554551991772, 0.477929298799656, -0.07658841293719656, -1.2541866619736308], [-0.885066581450772, 1.766779317484588, 0.3543505953235256, 0.4163865350301778], [-0.27655171832101155, -0.6897195637660919, 0.8916558155709342, -0.10462645267369168], [-0.7591081117479301, -0.13412851934954786, -0.9056060167223513, 0.19004583859111193]]], [[[1.12922763006904, -0.8360851661432465, 1.428544005170784, -0.6676199486614574], [0.15341216272393984, -0.8363865253041882, -0.22223516635433505, 0.047404412494126226], [-0.4346849461734271, -0.7028878955725052, -0.6778861906636612, -0.8211599492508597], [-1.570079992924429, -0.2629696110774594, 0.4011582096101373, 0.9084019250927495]]]], dtype=torch.float64), 'y': torch.tensor([[0.652544548767729, -0.601536794042978, -0.348395706510816, 0.25569273099758766], [0.2419007683612184, -0.006092818803082864, -0.8654548462570146, 0.34710871650872793]], dtype=torch.float64), 'op': TestOperator(torch.tensor([[0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5]], dtype=torch.float64), torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), torch.tensor([0.5, 0.5, 0.5, 0.5], dtype=torch.float64), shape=(1, 4, 4)), 'alpha_bar': torch.tensor([0.99, 0.9649894736842105, 0.9258820055401662, 0.8742275357573991, 0.8121113687430576, 0.7420133348094462, 0.666640401326171, 0.5887487333817447, 0.5109719270244721, 0.43567080093665517, 0.36481697067906227, 0.2999179516845764, 0.24198643154339772, 0.19155136475856324, 0.14870434895730567, 0.11317183610119158, 0.08440236408178341, 0.06165814807658704, 0.04410180170320094, 0.030871261192240654], dtype=torch.float64), 'sigma_y': 0.0, 'eta': 0.85, 'eta_b': 1.0, 'noise': torch.tensor([[[[0.6471027285461044, 2.457336522342424, 0.31868163507784153, -0.456333893932018], [1.8716346370160677, -1.0472180935940827, 0.968477609522218, -0.955144769724686], [0.35411165760150265, -1.9683967522378658, 0.8992737076506074, -0.15824761527156533], [-0.967681471724209, 1.6784190387621596, 0.7653546837661211, 0.04580783577937577]]], [[[-0.7454433887901278, -0.04336259016175258, -0.16392876295519593, 0.7247764935410931], [0.7980751811597928, -0.6677563797627329, -0.5493705607570516, -0.5320653277786109], [-1.3493172462579026, -0.5915748828912161, -0.09240806520639366, 0.6909519446056412], [1.3203794893667786, -0.8083458775593314, 0.5509765318813011, -0.44445682570554373]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[-0.2439825513400219, 0.9761022026588113, -0.5381157208408935, -1.7157139698773278], [-0.38689367759161664, 2.2649522213437434, -0.10717671258017147, -0.04514077287351914], [-0.16007044653568211, -0.5732382919807626, 1.129481250377021, 0.13319898213239512], [-0.6426268399626007, -0.01764724756421846, -0.6677805819162645, 0.4278712733971988]]], [[[1.4685863730938722, -0.49672642311841436, 1.2759278607054219, -0.8202360931268197], [0.4927709057487719, -0.49702778227935607, -0.37485131081969736, -0.10521173197123607], [-0.5574841809934866, -0.8256871303925647, -0.28340597285202473, -0.42667973143922316], [-1.6928792277444882, -0.38576884589751903, 0.7956384274217738, 1.302882142904386]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('case_comparison_reversed', "the two observed cases are swapped: check each condition against the step's definition above Question 3 (your Question 3(b) explains which way it goes).", (torch.tensor([[[[-0.7421554551991774, 0.477929298799656, -0.07658841293719654, -1.2541866619736308], [-0.8850665814507719, 1.766779317484588, 0.35435059532352553, 0.41638653503017786], [-0.2765517183210115, -0.689719563766092, 0.8916558155709342, -0.1046264526736917], [-0.7591081117479301, -0.13412851934954786, -0.9056060167223514, 0.19004583859111196]]], [[[1.12922763006904, -0.8360851661432465, 1.428544005170784, -0.6676199486614574], [0.15341216272393976, -0.8363865253041882, -0.22223516635433516, 0.04740441249412619], [-0.4346849461734271, -0.7028878955725052, -0.6778861906636611, -0.8211599492508597], [-1.5700799929244287, -0.2629696110774594, 0.4011582096101373, 0.9084019250927495]]]], dtype=torch.float64),)), ('singulars_not_zeroed', 'the singular values are padded with ones, so the null-space coordinates are treated as observed (with y_bar = 0 there) and pulled towards 0; pad with zeros (op.add_zeros): s_i = 0 marks a coordinate y does not see.', (torch.tensor([[[[0.652544548767729, 0.652544548767729, -0.601536794042978, -0.601536794042978], [0.652544548767729, 0.652544548767729, -0.601536794042978, -0.601536794042978], [-0.348395706510816, -0.348395706510816, 0.25569273099758766, 0.25569273099758766], [-0.348395706510816, -0.348395706510816, 0.25569273099758766, 0.25569273099758766]]], [[[0.2419007683612184, 0.2419007683612184, -0.006092818803082864, -0.006092818803082864], [0.2419007683612184, 0.2419007683612184, -0.006092818803082864, -0.006092818803082864], [-0.8654548462570146, -0.8654548462570146, 0.34710871650872793, 0.34710871650872793], [-0.8654548462570146, -0.8654548462570146, 0.34710871650872793, 0.34710871650872793]]]], dtype=torch.float64),)), ('x0_bar_with_V', 'x0_pred is taken to spectral coordinates with op.V instead of op.V_T (V maps spectral to data; V_T data to spectral).', (torch.tensor([[[[0.8426777641971661, 1.2400812575446207, -0.2819093631450097, -1.0969767657787473], [-0.17234746461644185, 0.6997666379455714, -0.9454978058348883, -0.08176324141326653], [-1.1209939395308783, -0.6277351532179627, -0.7100178122100461, 0.41004033041403687], [0.08782502491327684, 0.2673212417923003, 0.11354827523644828, 1.2092001305499116]]], [[[0.5759868447241948, 0.08864674619586543, 0.08131295644136582, -0.6693448580657569], [0.7027981051457186, -0.39982862262090535, -0.9137896578816144, 1.477450284293674], [-0.6169120662494696, -0.9245123387825745, 0.48416108575694805, 0.8888114233409459], [-2.234072473485462, 0.3136774934894473, -0.24589067927279712, 0.26135303620981504]]]], dtype=torch.float64),))])), ('ddrm_step', dict(what='nothing observed (m = 0): DDIM', inputs={'x_t': torch.tensor([[[[-0.8652130762749417, 3.3229995166448827], [0.22578661322792176, -0.3526307943415954]]], [[[-0.2812874181513504, -0.6680463461089501], [-1.0551505512051214, -0.39080097723465473]]]], dtype=torch.float64), 't': torch.tensor([10, 5], dtype=torch.int64), 't_prev': torch.tensor([4, -1], dtype=torch.int64), 'x0_pred': torch.tensor([[[[0.48194538850678587, -0.2385536065733667], [0.9577587029597641, -0.19980212906658]]], [[[0.024259565076664623, 1.545820851212812], [0.5451055226876446, -0.505228735614018]]]], dtype=torch.float64), 'y': torch.tensor([[], []], dtype=torch.float64), 'op': TestOperator(torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), torch.tensor([], dtype=torch.float64), torch.tensor([], dtype=torch.float64), shape=(1, 2, 2)), 'alpha_bar': torch.tensor([0.99, 0.9649894736842105, 0.9258820055401662, 0.8742275357573991, 0.8121113687430576, 0.7420133348094462, 0.666640401326171, 0.5887487333817447, 0.5109719270244721, 0.43567080093665517, 0.36481697067906227, 0.2999179516845764, 0.24198643154339772, 0.19155136475856324, 0.14870434895730567, 0.11317183610119158, 0.08440236408178341, 0.06165814807658704, 0.04410180170320094, 0.030871261192240654], dtype=torch.float64), 'sigma_y': 0.1, 'eta': 0.7, 'eta_b': 1.0, 'noise': torch.tensor([[[[-0.1828389745977349, 0.5405251317548021], [1.9350880340988528, -0.2696203273419135]]], [[[-0.24355867907910456, 1.0023136012756912], [-0.8864599431605871, -0.291720232439864]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[-0.07027884422156139, 1.295666729508397], [1.3132645271336774, -0.35195591981032054]]], [[[0.024259565076664623, 1.545820851212812], [0.5451055226876446, -0.505228735614018]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('singulars_not_zeroed', 'the singular values are padded with ones, so the null-space coordinates are treated as observed (with y_bar = 0 there) and pulled towards 0; pad with zeros (op.add_zeros): s_i = 0 marks a coordinate y does not see.', (torch.tensor([[[[-0.07752189629407714, 0.2291772489997177], [0.8204579698030056, -0.114316321785114]]], [[[0.024259565076664623, 1.545820851212812], [0.5451055226876446, -0.505228735614018]]]], dtype=torch.float64),)), ('unscaled_sigma', "the noise levels are sqrt(1 - alpha_bar), not the sigma of the notation table: DDRM's step works in the scaled variable x / sqrt(alpha_bar) (your Question 3(b)).", (torch.tensor([[[[-0.28576399046314505, 1.9420103198513265], [1.1878375714484841, -0.38819605587054845]]], [[[0.024259565076664623, 1.545820851212812], [0.5451055226876446, -0.505228735614018]]]], dtype=torch.float64),))])), ('ddrm_step', dict(what='float32 data', inputs={'x_t': torch.tensor([[[[0.7479597330093384, 0.850967288017273, -0.7096848487854004, -0.6071971654891968], [-0.797822892665863, -0.5842382311820984, -0.23792338371276855, -0.13181504607200623], [2.058114528656006, -0.5064036846160889, -0.2887243628501892, 0.4585777223110199], [-0.953074038028717, -0.3686271607875824, 0.013318480923771858, 0.7741459608078003]]], [[[-1.3160148859024048, 1.371469497680664, -0.3524573743343353, 0.1694164276123047], [0.8470882773399353, 0.6607929468154907, 1.0592318773269653, 0.17319782078266144], [-0.01961335353553295, 0.31647855043411255, -0.9957153797149658, 1.2141873836517334], [-0.7753862738609314, -1.2602438926696777, 2.0564088821411133, -0.13644494116306305]]]], dtype=torch.float32), 't': torch.tensor([15, 2], dtype=torch.int64), 't_prev': torch.tensor([7, 0], dtype=torch.int64), 'x0_pred': torch.tensor([[[[-1.1791248321533203, 1.8522697687149048, -0.3297126293182373, 1.0620757341384888], [-0.8294886946678162, -0.2487800270318985, -1.688529372215271, -1.9089393615722656], [-0.976434588432312, -0.0780390202999115, 0.7979857325553894, 2.426220417022705], [-1.0318629741668701, 1.009040355682373, -0.6043409705162048, -0.1525292992591858]]], [[[-1.481191635131836, -1.4789857864379883, -0.7784606218338013, -1.1931105852127075], [-0.0035543907433748245, -0.7025144696235657, 1.2506970167160034, 0.1530197113752365], [0.1652381867170334, 1.1374351978302002, 0.5181122422218323, -0.03733298182487488], [-0.09072335809469223, -0.12094863504171371, 1.0767219066619873, 0.7830856442451477]]]], dtype=torch.float32), 'y': torch.tensor([[-0.9151309728622437, 0.6590529680252075, -0.09906337410211563, 0.8440262079238892], [-0.3436988890171051, -0.43107596039772034, -0.5818644165992737, -0.2978310286998749]], dtype=torch.float32), 'op': TestOperator(torch.tensor([[0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, -0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, 0.5, -0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 0.0, 0.0, -0.5, 0.5]], dtype=torch.float64), torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), torch.tensor([0.5, 0.5, 0.5, 0.5], dtype=torch.float64), shape=(1, 4, 4)), 'alpha_bar': torch.tensor([0.99, 0.9649894736842105, 0.9258820055401662, 0.8742275357573991, 0.8121113687430576, 0.7420133348094462, 0.666640401326171, 0.5887487333817447, 0.5109719270244721, 0.43567080093665517, 0.36481697067906227, 0.2999179516845764, 0.24198643154339772, 0.19155136475856324, 0.14870434895730567, 0.11317183610119158, 0.08440236408178341, 0.06165814807658704, 0.04410180170320094, 0.030871261192240654], dtype=torch.float64), 'sigma_y': 0.2, 'eta': 1.0, 'eta_b': 1.0, 'noise': torch.tensor([[[[0.36591795086860657, 0.7988293170928955, -0.5445333123207092, 0.5110228061676025], [-1.412333607673645, 1.3472706079483032, 0.09004826098680496, 0.18339300155639648], [0.5993838310241699, -0.009709574282169342, -0.25410789251327515, 1.1897846460342407], [0.11575067043304443, -0.9158716797828674, 0.4395589232444763, -1.7051204442977905]]], [[[1.6555424928665161, -0.17113111913204193, 0.04588385298848152, 2.257770538330078], [2.1517410278320312, 0.11580667644739151, 0.6248663663864136, 1.0901799201965332], [1.6820210218429565, -0.13109290599822998, 0.135260209441185, 1.2246341705322266], [0.26955029368400574, 0.7544998526573181, 0.6098595261573792, -1.1349118947982788]]]], dtype=torch.float32)}, outputs=[torch.tensor([[[[-1.3160529130313314, 1.2875562555353426, 0.4484066831612551, 2.193241658128371], [-2.188149958679833, 0.027130741651797945, -0.18726288404378244, -0.29652245651515463], [-0.23008378454818837, 0.06865005777176258, 0.6301126780688581, 2.805408608523097], [-0.5827624719968586, 0.32165410067533295, -0.0010513642576539986, -1.029735193142841]]], [[[-1.3082128196169376, -1.488685389078257, -0.7699701537079914, -0.9613529895325634], [0.21163752864697727, -0.6874124040163289, 1.306914455897793, 0.26127068246769464], [0.3326120220980219, 1.1186244417641091, 0.5290411929659837, 0.0853175691477425], [-0.0633135721879434, -0.044892387135966806, 1.132310723001902, 0.665669188722638]]]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('case_comparison_reversed', "the two observed cases are swapped: check each condition against the step's definition above Question 3 (your Question 3(b) explains which way it goes).", (torch.tensor([[[[-0.6700829267501831, 1.9335259199142456, -0.6021913886070251, 1.1426435708999634], [-1.5421799421310425, 0.6731007099151611, -1.237861156463623, -1.3471206426620483], [-0.3648397922515869, -0.06610599160194397, 0.4493377208709717, 2.6246337890625], [-0.7175184488296509, 0.1868981271982193, -0.1818264275789261, -1.21051025390625]]], [[[-0.8320207595825195, -1.0124931335449219, -1.1581006050109863, -1.3494837284088135], [0.6878296732902527, -0.21122011542320251, 0.9187837839126587, -0.12686006724834442], [-0.5820934176445007, 0.20391906797885895, -0.3703816533088684, -0.814105212688446], [-0.9780189394950867, -0.9595977663993835, 0.23288790881633759, -0.2337535321712494]]]], dtype=torch.float32),)), ('singulars_not_zeroed', 'the singular values are padded with ones, so the null-space coordinates are treated as observed (with y_bar = 0 there) and pulled towards 0; pad with zeros (op.add_zeros): s_i = 0 marks a coordinate y does not see.', (torch.tensor([[[[-0.490719199180603, -0.22116409242153168, 0.16305990517139435, 0.8203088045120239], [-1.597959280014038, 0.12032655626535416, 0.5581862926483154, 0.6163080334663391], [0.3003338575363159, -0.07892224937677383, 0.4943128824234009, 1.3933621644973755], [-0.0008035802165977657, -0.6431501507759094, 0.9262292981147766, -0.40916964411735535]]], [[[-1.3082127571105957, -1.4886853694915771, -0.7699701189994812, -0.961353063583374], [0.211637482047081, -0.6874123215675354, 1.306914210319519, 0.26127052307128906], [0.33261194825172424, 1.1186245679855347, 0.5290411114692688, 0.08531757444143295], [-0.06331360340118408, -0.044892456382513046, 1.1323107481002808, 0.6656692624092102]]]], dtype=torch.float32),)), ('unscaled_sigma', "the noise levels are sqrt(1 - alpha_bar), not the sigma of the notation table: DDRM's step works in the scaled variable x / sqrt(alpha_bar) (your Question 3(b)).", (torch.tensor([[[[-1.3786959648132324, 1.1603107452392578, 0.5279127359390259, 2.115229368209839], [-1.9854278564453125, -0.18195757269859314, -0.20245428383350372, -0.3256436288356781], [-0.3179905116558075, 0.07163716107606888, 0.6704439520835876, 2.6302707195281982], [-0.5984975695610046, 0.45986607670783997, -0.06423483043909073, -0.7728721499443054]]], [[[-1.3090426921844482, -1.4885995388031006, -0.7699930667877197, -0.9624847769737244], [0.2105589061975479, -0.6874703764915466, 1.3066012859344482, 0.26072415709495544], [0.3317687511444092, 1.1186901330947876, 0.528973400592804, 0.08470368385314941], [-0.0634486973285675, -0.0452706478536129, 1.1320050954818726, 0.6662381887435913]]]], dtype=torch.float32),)), ('x0_bar_with_V', 'x0_pred is taken to spectral coordinates with op.V instead of op.V_T (V maps spectral to data; V_T data to spectral).', (torch.tensor([[[[-0.07400264590978622, -0.20820192992687225, 1.2252775430679321, 1.5428880453109741], [-2.730915069580078, 0.8236034512519836, 0.1998632699251175, -0.8101658225059509], [1.554090976715088, -0.8155219554901123, -0.3682052493095398, 0.5170527100563049], [-0.1543194055557251, -1.0067917108535767, 1.6422854661941528, 0.6136016845703125]]], [[[-1.4503153562545776, -0.5740036368370056, -0.7947432398796082, -0.31451132893562317], [1.601704478263855, -0.13405843079090118, -0.3427799642086029, -0.1688341349363327], [-0.8005658984184265, 1.2155770063400269, -1.5095328092575073, -0.33380773663520813], [-0.5948436856269836, 0.41415441036224365, -0.11099853366613388, -0.5776400566101074]]]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

