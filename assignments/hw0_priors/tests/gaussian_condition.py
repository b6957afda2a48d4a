from otter.test_files import test_case

OK_FORMAT = False

name = "gaussian_condition"
points = 2.5

@test_case(points=None, hidden=False)
def test_gaussian_condition(gaussian_condition):
    """The public cases of gaussian_condition: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'gaussian_condition': gaussian_condition}
    cases = [('gaussian_condition', dict(what='a bivariate Gaussian (da = db = 1): the regression line', inputs={'mean_a': torch.tensor([0.9053558666731177], dtype=torch.float64), 'mean_b': torch.tensor([0.4463745723640113], dtype=torch.float64), 'cov_aa': torch.tensor([[0.8972424037676805]], dtype=torch.float64), 'cov_ab': torch.tensor([[-0.478251897659899]], dtype=torch.float64), 'cov_bb': torch.tensor([[1.4037037157996837]], dtype=torch.float64), 'x_b': torch.tensor([[-0.8054298530404278], [0.8716771562945297]], dtype=torch.float64)}, outputs=[torch.tensor([[1.3318545894521399], [0.760452233837358]], dtype=torch.float64), torch.tensor([[0.7342985609603748]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), known=[('schur_complement_added', 'the conditional covariance adds the correction to cov_aa; observing x_b can only remove uncertainty, so the correction is subtracted (your Question 1(c)).', (torch.tensor([[1.3318545894521399], [0.760452233837358]], dtype=torch.float64), torch.tensor([[1.060186246574986]], dtype=torch.float64))), ('gain_without_solve', 'the gain multiplies by cov_bb instead of solving a linear system with it: compare with the gain of your Question 1(a) in one dimension.', (torch.tensor([[1.7457221779834893], [0.6198400493496683]], dtype=torch.float64), torch.tensor([[0.5761804431632638]], dtype=torch.float64)))])), ('gaussian_condition', dict(what='da = 2, db = 3', inputs={'mean_a': torch.tensor([0.7831809961440773, 2.0567028183423686], dtype=torch.float64), 'mean_b': torch.tensor([-1.6384425032355252, -1.7294114671544816, -1.50483141386432], dtype=torch.float64), 'cov_aa': torch.tensor([[2.435867649806403, -0.32329886155409915], [-0.32329886155409915, 0.9799182748211507]], dtype=torch.float64), 'cov_ab': torch.tensor([[0.6471544830799775, -0.3936949022292035, -0.5794119462135774], [0.09807782313196697, -0.046193126809918036, 0.3665202563867542]], dtype=torch.float64), 'cov_bb': torch.tensor([[0.8989383957333325, -0.11461442791828143, -0.025907606791740766], [-0.11461442791828143, 0.7976185561101513, 0.15445594901652418], [-0.025907606791740766, 0.15445594901652418, 0.9085683743522882]], dtype=torch.float64), 'x_b': torch.tensor([[1.2621883401809997, 0.1930734862111027, 1.6175136611089471], [1.0836463084612484, 0.3158577185629209, 0.4260572178755563], [-0.25464074658470315, 1.3026903168172652, -1.6945739426711324]], dtype=torch.float64)}, outputs=[torch.tensor([[0.38563491026517716, 3.4566385225880727], [0.9102298935113046, 2.91273532525852], [0.9426015104735244, 1.7405834562352362]], dtype=torch.float64), torch.tensor([[1.5609892127702127, -0.19311846996330662], [-0.19311846996330662, 0.8069937492548585]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), known=[('schur_complement_added', 'the conditional covariance adds the correction to cov_aa; observing x_b can only remove uncertainty, so the correction is subtracted (your Question 1(c)).', (torch.tensor([[0.38563491026517716, 3.4566385225880727], [0.9102298935113046, 2.91273532525852], [0.9426015104735244, 1.7405834562352362]], dtype=torch.float64), torch.tensor([[3.310746086842593, -0.4534792531448917], [-0.4534792531448917, 1.152842800387443]], dtype=torch.float64))), ('gain_without_solve', 'the gain multiplies by cov_bb instead of solving a linear system with it: compare with the gain of your Question 1(a) in one dimension.', (torch.tensor([[-0.15921444371675442, 3.326200680094247], [0.3871813995250728, 2.9270191446142326], [0.3376405850688918, 2.1373937501728584]], dtype=torch.float64), torch.tensor([[1.4824351370538036, -0.18693750543801685], [-0.18693750543801688, 0.8535689531830974]], dtype=torch.float64)))])), ('gaussian_condition', dict(what='one joint per sample (batched means and covariances)', inputs={'mean_a': torch.tensor([[0.9577587029597641, -0.19980212906658], [1.545820851212812, 0.5451055226876446]], dtype=torch.float64), 'mean_b': torch.tensor([[0.024259565076664623], [-0.505228735614018]], dtype=torch.float64), 'cov_aa': torch.tensor([[[4.123860419317069, -0.030697601212407156], [-0.030697601212407156, 0.6912452813410358]], [[4.239217953151014, -0.2378250998336727], [-0.2378250998336727, 1.0462504059560809]]], dtype=torch.float64), 'cov_ab': torch.tensor([[[-1.2972104793657564], [0.4794694134003326]], [[-0.3685644312147749], [0.013225170516400514]]], dtype=torch.float64), 'cov_bb': torch.tensor([[[2.127576752368043]], [[0.6473015281732262]]], dtype=torch.float64), 'x_b': torch.tensor([[-0.27425846189660236], [0.8107876976322032]], dtype=torch.float64)}, outputs=[torch.tensor([[1.1397689230086077, -0.2670759715368879], [0.7964995116548306, 0.5719933654850878]], dtype=torch.float64), torch.tensor([[[3.3329347683841988, 0.2616409698431344], [0.2616409698431344, 0.5831923435889265]], [[4.02936252404361, -0.23029487282671415], [-0.23029487282671415, 1.0459801993713977]]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), known=[('schur_complement_added', 'the conditional covariance adds the correction to cov_aa; observing x_b can only remove uncertainty, so the correction is subtracted (your Question 1(c)).', (torch.tensor([[1.1397689230086077, -0.2670759715368879], [0.7964995116548306, 0.5719933654850878]], dtype=torch.float64), torch.tensor([[[4.914786070249939, -0.32303617226794873], [-0.32303617226794873, 0.7992982190931451]], [[4.449073382258418, -0.24535532684063124], [-0.24535532684063124, 1.046520612540764]]], dtype=torch.float64))), ('gain_without_solve', 'the gain multiplies by cov_bb instead of solving a linear system with it: compare with the gain of your Question 1(a) in one dimension.', (torch.tensor([[1.7816430412309394, -0.5043227497863123], [1.2318557581599476, 0.5563715091479658]], dtype=torch.float64), torch.tensor([[[0.5436699422896969, 1.2925971571841348], [1.2925971571841348, 0.20213470780146642]], [[4.151288681890407, -0.23466994022705642], [-0.23466994022705642, 1.0461371895947884]]], dtype=torch.float64)))])), ('gaussian_condition', dict(what='float32 inputs', inputs={'mean_a': torch.tensor([0.2417718768119812], dtype=torch.float32), 'mean_b': torch.tensor([0.23538091778755188, 1.575626015663147], dtype=torch.float32), 'cov_aa': torch.tensor([[1.574445128440857]], dtype=torch.float32), 'cov_ab': torch.tensor([[-0.05050099268555641, -0.765060305595398]], dtype=torch.float32), 'cov_bb': torch.tensor([[1.5428959131240845, -0.21551676094532013], [-0.21551676094532013, 1.499022126197815]], dtype=torch.float32), 'x_b': torch.tensor([[0.4749675393104553, 0.7658199667930603], [-2.2396750450134277, 3.379093647003174]], dtype=torch.float32)}, outputs=[torch.tensor([[0.6420011178025169], [-0.443457145571464]], dtype=torch.float64), torch.tensor([[1.1669419351678045]], dtype=torch.float64)], dtypes=['float32', 'float32'], tol=(0.0001, 1e-05), known=[('schur_complement_added', 'the conditional covariance adds the correction to cov_aa; observing x_b can only remove uncertainty, so the correction is subtracted (your Question 1(c)).', (torch.tensor([[0.6420010924339294], [-0.44345706701278687]], dtype=torch.float32), torch.tensor([[1.9819482564926147]], dtype=torch.float32))), ('gain_without_solve', 'the gain multiplies by cov_bb instead of solving a linear system with it: compare with the gain of your Question 1(a) in one dimension.', (torch.tensor([[1.18251371383667], [-2.02213716506958]], dtype=torch.float32), torch.tensor([[0.7097601890563965]], dtype=torch.float32)))]))]
    depends = []
    run_cases(functions, cases, depends)

