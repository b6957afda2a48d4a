from otter.test_files import test_case

OK_FORMAT = False

name = "cfg"
points = 2

@test_case(points=None, hidden=False)
def test_cfg(cfg_eps):
    """The public cases of cfg: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'cfg_eps': cfg_eps}
    cases = [('cfg_eps', dict(what='guidance_scale = 3 (w = 2)', inputs={'eps_cond': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'eps_uncond': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'guidance_scale': 3.0}, outputs=[torch.tensor([[-2.2308094269800947, -2.2904765161323897], [3.3287384229438315, 2.8455432935512244], [-0.3604591944086285, 1.0021332060339672]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('w_for_one_plus_w', "this is Ho & Salimans' (1 + w) eps_c - w eps_u with w = guidance_scale; the contract's guidance_scale is their 1 + w (diffusers' convention), so mixing the two shifts every scale by one.", (torch.tensor([[-3.4090792510168386, -3.369662342552934], [4.6728963091941065, 4.215864881750316], [-0.2728541050323874, 1.3224022815962082]], dtype=torch.float64),)), ('cfg_cond_uncond_swapped', 'the conditional and unconditional predictions are swapped: guidance starts from the unconditional one and moves towards the conditional one.', (torch.tensor([[3.660539693203625, 3.10545261597033], [-3.392051008307542, -4.006064647444237], [-0.7984846412898347, -0.5992121717772387]], dtype=torch.float64),)), ('cfg_missing_base', 'only the scaled difference of the two predictions is returned; the guided prediction is the unconditional one plus that difference.', (torch.tensor([[-3.534809472110232, -3.237557479261632], [4.032473658750824, 4.110964764597277], [0.2628152681287237, 0.9608072266867235]], dtype=torch.float64),))])), ('cfg_eps', dict(what='guidance_scale = 1: the conditional prediction', inputs={'eps_cond': torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 'eps_uncond': torch.tensor([[-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]], dtype=torch.float64), 'guidance_scale': 1.0}, outputs=[torch.tensor([[0.3455841920647861, 0.8216181435011584], [0.33043707618338714, -1.3031572316043611], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('w_for_one_plus_w', "this is Ho & Salimans' (1 + w) eps_c - w eps_u with w = guidance_scale; the contract's guidance_scale is their 1 + w (diffusers' convention), so mixing the two shifts every scale by one.", (torch.tensor([[1.2281216194898572, 1.0621181828059636], [0.29630175618069854, -2.9004469598642477], [1.7822894920304386, 0.34603615811557564]], dtype=torch.float64),)), ('cfg_cond_uncond_swapped', 'the conditional and unconditional predictions are swapped: guidance starts from the unconditional one and moves towards the conditional one.', (torch.tensor([[-0.5369532353602853, 0.5811181041963531], [0.36457239618607573, 0.2941324966555261], [0.028422241315796737, 0.5467129866124469]], dtype=torch.float64),)), ('cfg_missing_base', 'only the scaled difference of the two predictions is returned; the guided prediction is the unconditional one plus that difference.', (torch.tensor([[0.8825374274250712, 0.24050003930480524], [-0.034135320002688596, -1.597289728259887], [0.876933625357321, -0.10033841424843565]], dtype=torch.float64),))])), ('cfg_eps', dict(what='guidance_scale = 0: the unconditional prediction', inputs={'eps_cond': torch.tensor([[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556], [1.799707382720902, 1.1441658720372287]], dtype=torch.float64), 'eps_uncond': torch.tensor([[-0.32542283686782436, 0.7738065867276614], [0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]], dtype=torch.float64), 'guidance_scale': 0.0}, outputs=[torch.tensor([[-0.32542283686782436, 0.7738065867276614], [0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('w_for_one_plus_w', "this is Ho & Salimans' (1 + w) eps_c - w eps_u with w = guidance_scale; the contract's guidance_scale is their 1 + w (diffusers' convention), so mixing the two shifts every scale by one.", (torch.tensor([[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556], [1.799707382720902, 1.1441658720372287]], dtype=torch.float64),)), ('cfg_cond_uncond_swapped', 'the conditional and unconditional predictions are swapped: guidance starts from the unconditional one and moves towards the conditional one.', (torch.tensor([[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556], [1.799707382720902, 1.1441658720372287]], dtype=torch.float64),)), ('cfg_missing_base', 'only the scaled difference of the two predictions is returned; the guided prediction is the unconditional one plus that difference.', (torch.tensor([[0.0, -0.0], [-0.0, -0.0], [0.0, 0.0]], dtype=torch.float64),))])), ('cfg_eps', dict(what='images (B, C, H, W), guidance_scale = 7.5', inputs={'eps_cond': torch.tensor([[[[2.0409191213851825, -2.5556650313141818], [0.41809884672577885, -0.5677696061279298]]], [[[-0.45264929211044586, -0.2155971630897659], [-2.019986129147251, -0.23193237764418947]]]], dtype=torch.float64), 'eps_uncond': torch.tensor([[[[-0.8652130762749417, 3.3229995166448827], [0.22578661322792176, -0.3526307943415954]]], [[[-0.2812874181513504, -0.6680463461089501], [-1.0551505512051214, -0.39080097723465473]]]], dtype=torch.float64), 'guidance_scale': 7.5}, outputs=[torch.tensor([[[[20.93077840617599, -40.7669845930481], [1.66812836446185, -1.9661718827391035]]], [[[-1.5665014728445663, 2.7253225265349315], [-8.291417385771094, 0.8007135196938346]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('w_for_one_plus_w', "this is Ho & Salimans' (1 + w) eps_c - w eps_u with w = guidance_scale; the contract's guidance_scale is their 1 + w (diffusers' convention), so mixing the two shifts every scale by one.", (torch.tensor([[[[23.836910603836113, -46.64564914100717], [1.860440597959707, -2.1813106945254384]]], [[[-1.7378633468036622, 3.177771709554116], [-9.256252963713223, 0.9595821192843002]]]], dtype=torch.float64),)), ('cfg_cond_uncond_swapped', 'the conditional and unconditional predictions are swapped: guidance starts from the unconditional one and moves towards the conditional one.', (torch.tensor([[[[-19.755072361065746, 41.5343190783788], [-1.0242429045081494, 1.0457714822695783]]], [[[0.8325647625827701, -3.6089660357336473], [5.216280705418722, -1.423446874572679]]]], dtype=torch.float64),)), ('cfg_missing_base', 'only the scaled difference of the two predictions is returned; the guided prediction is the unconditional one plus that difference.', (torch.tensor([[[[21.79599148245093, -44.089984109692985], [1.4423417512339283, -1.613541088397508]]], [[[-1.285214054693216, 3.3933688726438813], [-7.236266834565972, 1.1915144969284894]]]], dtype=torch.float64),))])), ('cfg_eps', dict(what='float32 data, guidance_scale = 2', inputs={'eps_cond': torch.tensor([[-0.6517911553382874, -0.17471729218959808], [1.6637239456176758, 0.6591477394104004], [-1.64139723777771, -0.00520326429978013]], dtype=torch.float32), 'eps_uncond': torch.tensor([[-0.6234637498855591, 0.1486315280199051], [-1.6081877946853638, 0.2417718768119812], [0.23538091778755188, 1.575626015663147]], dtype=torch.float32), 'guidance_scale': 2.0}, outputs=[torch.tensor([[-0.6801185607910156, -0.49806611239910126], [4.935635685920715, 1.0765236020088196], [-3.518175393342972, -1.5860325442627072]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('w_for_one_plus_w', "this is Ho & Salimans' (1 + w) eps_c - w eps_u with w = guidance_scale; the contract's guidance_scale is their 1 + w (diffusers' convention), so mixing the two shifts every scale by one.", (torch.tensor([[-0.7084460258483887, -0.8214149475097656], [8.207547187805176, 1.4938994646072388], [-5.39495325088501, -3.1668617725372314]], dtype=torch.float32),)), ('cfg_cond_uncond_swapped', 'the conditional and unconditional predictions are swapped: guidance starts from the unconditional one and moves towards the conditional one.', (torch.tensor([[-0.5951363444328308, 0.47198033332824707], [-4.880099296569824, -0.175603985786438], [2.112159013748169, 3.1564552783966064]], dtype=torch.float32),)), ('cfg_missing_base', 'only the scaled difference of the two predictions is returned; the guided prediction is the unconditional one plus that difference.', (torch.tensor([[-0.05665481090545654, -0.6466976404190063], [6.5438232421875, 0.8347517251968384], [-3.753556251525879, -3.161658525466919]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

