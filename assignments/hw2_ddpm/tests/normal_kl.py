from otter.test_files import test_case

OK_FORMAT = False

name = "normal_kl"
points = 2

@test_case(points=None, hidden=False)
def test_normal_kl(normal_kl):
    """The public cases of normal_kl: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'normal_kl': normal_kl}
    cases = [('normal_kl', dict(what='elementwise, equal shapes', inputs={'mean1': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'logvar1': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'mean2': torch.tensor([[-2.3250307746388343, -0.21879166393254573], [-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454]], dtype=torch.float64), 'logvar2': torch.tensor([[0.4116305363741328, 1.0425133694426776], [-0.12853466294403426, 1.3664634705496859], [-0.6651946734866135, 0.3515100700930197]], dtype=torch.float64)}, outputs=[torch.tensor([[2.264039323535858, 0.0035308054652899816], [2.0920500961687996, 0.9412746550803507], [0.0005172773576559387, 0.18342055599824822]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('kl_sign', 'the log-variance terms have the wrong sign; KL(N1 || N2) has + log sigma_2^2 - log sigma_1^2.', (torch.tensor([[3.156408832291862, -0.09190160084814548], [1.516849523305841, -1.6906102865153878], [0.04243748830691723, -0.12676353474752797]], dtype=torch.float64),)), ('kl_no_half', 'the log-variance difference misses its factor 1/2: KL = 1/2 (log sigma_2^2 - log sigma_1^2) + (sigma_1^2 + (mu_1 - mu_2)^2) / (2 sigma_2^2) - 1/2.', (torch.tensor([[1.817854569157856, 0.051247008622007595], [2.3796503826002784, 2.25721712587822], [-0.020442828116974843, 0.33851260137113626]], dtype=torch.float64),))])), ('normal_kl', dict(what='broadcasting: (2, 3) against (2, 1)', inputs={'mean1': torch.tensor([[0.345584192064786, 0.8216181435011584, 0.33043707618338714], [-1.303157231604361, 0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 'logvar1': torch.tensor([[-0.5369532353602852, 0.5811181041963531, 0.36457239618607573], [0.294132496655526, 0.02842224131579679, 0.5467129866124469]], dtype=torch.float64), 'mean2': torch.tensor([[-0.7364540870016669], [-0.16290994799305278]], dtype=torch.float64), 'logvar2': torch.tensor([[-0.48211931267997826], [0.5988462126346276]], dtype=torch.float64)}, outputs=[torch.tensor([[0.9488007300647558, 2.3819904468350286, 1.1643189643267484], [0.37820848054689105, 0.38136604716387235, 0.10265243430092981]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('kl_sign', 'the log-variance terms have the wrong sign; KL(N1 || N2) has + log sigma_2^2 - log sigma_1^2.', (torch.tensor([[0.893966807384449, 3.4452278637113602, 2.0110106731928026], [0.07349476456778947, -0.18905792415495842, 0.05051920827874924]], dtype=torch.float64),)), ('kl_no_half', 'the log-variance difference misses its factor 1/2: KL = 1/2 (log sigma_2^2 - log sigma_1^2) + (sigma_1^2 + (mu_1 - mu_2)^2) / (2 sigma_2^2) - 1/2.', (torch.tensor([[0.9762176914049094, 1.8503717383968628, 0.7409731098937218], [0.5305653385364417, 0.666578032823288, 0.1287190473120201]], dtype=torch.float64),))])), ('normal_kl', dict(what='float32', inputs={'mean1': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 'logvar1': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 'mean2': torch.tensor([[-0.32882389426231384, -0.7921467423439026], [0.45495808124542236, -0.09919805079698563], [0.5452887415885925, -0.6071857213973999]], dtype=torch.float32), 'logvar2': torch.tensor([[0.12682785093784332, -0.892274022102356], [0.8414649963378906, 0.18803508579730988], [0.3305709958076477, 0.41050392389297485]], dtype=torch.float32)}, outputs=[torch.tensor([[0.16234801723575615, 1.4012201677683676], [0.22805962174384978, 2.3819467865022568], [0.6967139491556488, 1.1209204313453969]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('kl_sign', 'the log-variance terms have the wrong sign; KL(N1 || N2) has + log sigma_2^2 - log sigma_1^2.', (torch.tensor([[-0.28990259766578674, 3.067300796508789], [-0.3321947157382965, 1.6400889158248901], [1.3437104225158691, 0.3998599052429199]], dtype=torch.float32),)), ('kl_no_half', 'the log-variance difference misses its factor 1/2: KL = 1/2 (log sigma_2^2 - log sigma_1^2) + (sigma_1^2 + (mu_1 - mu_2)^2) / (2 sigma_2^2) - 1/2.', (torch.tensor([[0.3884733319282532, 0.568179726600647], [0.5081868171691895, 2.752875804901123], [0.3732157349586487, 1.4814506769180298]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

