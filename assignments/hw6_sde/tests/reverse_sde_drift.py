from otter.test_files import test_case

OK_FORMAT = False

name = "reverse_sde_drift"
points = 1

@test_case(points=None, hidden=False)
def test_reverse_sde_drift(reverse_sde_drift):
    """The public cases of reverse_sde_drift: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'reverse_sde_drift': reverse_sde_drift}
    cases = [('reverse_sde_drift', dict(what='points, g a Python float', inputs={'f': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'g': 1.5, 'score': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64)}, outputs=[torch.tensor([[-2.8082698804494157, -2.263037030332097], [2.2238269310090155, 2.952098427006658], [0.8666981675479314, 0.2686116013781866]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('reverse_drift_sign', 'the score term has the wrong sign: the reverse-time drift is f - g**2 score (Song et al. Eq. (6)); with + the reverse process pushes samples away from the data.', (torch.tensor([[3.0597303226362023, 1.998827303749493], [-0.9429816301224513, -2.742298192700578], [-1.9380369138701532, 0.45457850844078285]], dtype=torch.float64),)), ('reverse_drift_no_g2', 'the score is not multiplied by g**2: the correction of the reverse drift is g(t)**2 times the score.', (torch.tensor([[-1.178269824036744, -1.079185826420544], [1.3441578862502745, 1.3703215881990922], [0.08760508937624123, 0.32026907556224116]], dtype=torch.float64),)), ('reverse_drift_half_g2', "the score term has the probability-flow ODE's factor; the reverse-time SDE, which injects noise again, needs the full g**2 score of Eq. (6).", (torch.tensor([[-1.3412698296780112, -1.1975709468116995], [1.4321247907261487, 1.5284992720798487], [0.1655143971934102, 0.3151033281438357]], dtype=torch.float64),))])), ('reverse_sde_drift', dict(what='g per sample (B,)', inputs={'f': torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 'g': torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64), 'score': torch.tensor([[-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]], dtype=torch.float64)}, outputs=[torch.tensor([[0.47982250090485734, 0.67633861745207], [-0.034135320002688596, -1.597289728259887], [0.7916669014099306, -1.7404773740857764]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('reverse_drift_sign', 'the score term has the wrong sign: the reverse-time drift is f - g**2 score (Song et al. Eq. (6)); with + the reverse process pushes samples away from the data.', (torch.tensor([[0.21134588322471473, 0.9668976695502467], [0.6950094723694629, -1.0090247349488348], [1.0190448319363048, 2.633226518813799]], dtype=torch.float64),)), ('reverse_drift_no_g2', 'the score is not multiplied by g**2: the correction of the reverse drift is g(t)**2 times the score.', (torch.tensor([[0.8825374274250712, 0.24050003930480524], [-0.034135320002688596, -1.597289728259887], [0.876933625357321, -0.10033841424843565]], dtype=torch.float64),)), ('reverse_drift_half_g2', "the score term has the probability-flow ODE's factor; the reverse-time SDE, which injects noise again, needs the full g**2 score of Eq. (6).", (torch.tensor([[0.41270334648482165, 0.7489783804766142], [0.14815087809034927, -1.4502234799321239], [0.8485113840415242, -0.6470514008608825]], dtype=torch.float64),))])), ('reverse_sde_drift', dict(what='g shaped (B, 1, ..., 1), as vp_sde returns it, images', inputs={'f': torch.tensor([[[[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556]]], [[[1.799707382720902, 1.1441658720372287], [-0.32542283686782436, 0.7738065867276614]]]], dtype=torch.float64), 'g': torch.tensor([[[[0.5]]], [[[3.0]]]], dtype=torch.float64), 'score': torch.tensor([[[[0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]]], [[[-0.3288239040579627, -0.7921467553588982], [0.45495807124085547, -0.09919805171738795]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[0.11875071434412075, -0.38429273237473427], [-0.6574554061734024, -2.3638282459750677]]], [[[4.759122519242566, 8.273486670267312], [-4.420045478035524, 1.666589052184153]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('reverse_drift_sign', 'the score term has the wrong sign: the reverse-time drift is f - g**2 score (Song et al. Eq. (6)); with + the reverse process pushes samples away from the data.', (torch.tensor([[[[0.25935604924294536, -0.6612041505867605], [-0.1686716806103845, -2.5191065193046436]]], [[[-1.159707753800762, -5.985154926192855], [3.769199804299875, -0.11897587872883009]]]], dtype=torch.float64),)), ('reverse_drift_no_g2', 'the score is not multiplied by g**2: the correction of the reverse drift is g(t)**2 times the score.', (torch.tensor([[[[-0.09215728800411618, 0.031074394943304995], [-1.3906309945179292, -2.130910835980703]]], [[[2.128531286778865, 1.936312627396127], [-0.7803809081086799, 0.8730046384450494]]]], dtype=torch.float64),)), ('reverse_drift_half_g2', "the score term has the probability-flow ODE's factor; the reverse-time SDE, which injects noise again, needs the full g**2 score of Eq. (6).", (torch.tensor([[[[0.1539020480688269, -0.45352058692774083], [-0.5352594747826479, -2.4026478143074614]]], [[[3.2794149509817343, 4.708826271152271], [-2.3727341574516743, 1.2201978194559073]]]], dtype=torch.float64),))])), ('reverse_sde_drift', dict(what='float32 data', inputs={'f': torch.tensor([[2.040919065475464, -2.5556650161743164], [0.4180988371372223, -0.5677695870399475], [-0.4526492953300476, -0.21559716761112213]], dtype=torch.float32), 'g': torch.tensor([0.5, 1.0, 2.0], dtype=torch.float32), 'score': torch.tensor([[-2.019986152648926, -0.2319323718547821], [-0.8652130961418152, 3.3229994773864746], [0.22578661143779755, -0.3526307940483093]], dtype=torch.float32)}, outputs=[torch.tensor([[2.5459156036376953, -2.497681923210621], [1.2833119332790375, -3.890769064426422], [-1.3557957410812378, 1.1949260085821152]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('reverse_drift_sign', 'the score term has the wrong sign: the reverse-time drift is f - g**2 score (Song et al. Eq. (6)); with + the reverse process pushes samples away from the data.', (torch.tensor([[1.5359225273132324, -2.6136481761932373], [-0.4471142590045929, 2.755229949951172], [0.4504971504211426, -1.6261203289031982]], dtype=torch.float32),)), ('reverse_drift_no_g2', 'the score is not multiplied by g**2: the correction of the reverse drift is g(t)**2 times the score.', (torch.tensor([[4.060905456542969, -2.323732614517212], [1.2833119630813599, -3.8907690048217773], [-0.6784359216690063, 0.1370336264371872]], dtype=torch.float32),)), ('reverse_drift_half_g2', "the score term has the probability-flow ODE's factor; the reverse-time SDE, which injects noise again, needs the full g**2 score of Eq. (6).", (torch.tensor([[2.293417453765869, -2.5266735553741455], [0.8507053852081299, -2.22926926612854], [-0.9042224884033203, 0.4896644353866577]], dtype=torch.float32),))])), ('reverse_sde_drift', dict(what="float32 data, g a float64 (B,) tensor (cast to the data's dtype)", inputs={'f': torch.tensor([[-0.6517911553382874, -0.17471729218959808], [1.6637239456176758, 0.6591477394104004], [-1.64139723777771, -0.00520326429978013]], dtype=torch.float32), 'g': torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64), 'score': torch.tensor([[-0.6234637498855591, 0.1486315280199051], [-1.6081877946853638, 0.2417718768119812], [0.23538091778755188, 1.575626015663147]], dtype=torch.float32)}, outputs=[torch.tensor([[-0.4959252178668976, -0.21187517419457436], [3.2719117403030396, 0.4173758625984192], [-2.5829209089279175, -6.307707326952368]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('reverse_drift_sign', 'the score term has the wrong sign: the reverse-time drift is f - g**2 score (Song et al. Eq. (6)); with + the reverse process pushes samples away from the data.', (torch.tensor([[-0.8076571226119995, -0.1375594139099121], [0.05553615093231201, 0.9009196162223816], [-0.6998735666275024, 6.297300815582275]], dtype=torch.float32),)), ('reverse_drift_no_g2', 'the score is not multiplied by g**2: the correction of the reverse drift is g(t)**2 times the score.', (torch.tensor([[-0.02832740545272827, -0.3233488202095032], [3.27191162109375, 0.4173758625984192], [-1.8767781257629395, -1.5808292627334595]], dtype=torch.float32),)), ('reverse_drift_half_g2', "the score term has the probability-flow ODE's factor; the reverse-time SDE, which injects noise again, needs the full g**2 score of Eq. (6).", (torch.tensor([[-0.5738582015037537, -0.19329623878002167], [2.467817783355713, 0.5382617712020874], [-2.112159013748169, -3.1564552783966064]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

