from otter.test_files import test_case

OK_FORMAT = False

name = "implicit_grad"
points = 2

@test_case(points=None, hidden=False)
def test_implicit_grad(implicit_classifier_grad):
    """The public cases of implicit_grad: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'implicit_classifier_grad': implicit_classifier_grad}
    cases = [('implicit_classifier_grad', dict(what='points', inputs={'eps_cond': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'eps_uncond': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'alpha_bar_t': torch.tensor([0.8431081055240666, 0.052242152293245775, 0.7204692285727463], dtype=torch.float64)}, outputs=[torch.tensor([[2.9747090984282467, 2.72455750903444], [-1.3807072007590189, -1.4075823261061011], [-0.16569695424194864, -0.6057594454431315]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('implicit_sign', 'the implicit gradient has the wrong sign: recheck the sign that relates a noise prediction to a score in your Question 2(c).', (torch.tensor([[-2.974709098428247, -2.7245575090344403], [1.3807072007590189, 1.4075823261061011], [0.16569695424194864, 0.6057594454431315]], dtype=torch.float64),)), ('implicit_variance_not_std', "the difference is divided by the noise variance 1 - alpha_bar_t; noise predictions and scores are related through the noise's standard deviation (your Question 2(c)).", (torch.tensor([[7.510074551477135, 6.878531424617902], [-1.4182503363097136, -1.445856229536686], [-0.313400520912024, -1.1457381737508974]], dtype=torch.float64),)), ('implicit_times_noise_factor', "the noise's standard deviation is applied the wrong way: multiplying by it turns a score into a noise prediction, and here noise predictions have to become a score (your Question 2(c)).", (torch.tensor([[0.46670774596720366, 0.4274609892010435], [-1.308576084904585, -1.3340471958603852], [-0.04631739744239827, -0.169328405084064]], dtype=torch.float64),)), ('implicit_missing_noise_factor', 'the difference of the noise predictions is returned as a gradient of log p without converting it: the factor between noise predictions and scores is missing (your Question 2(c)).', (torch.tensor([[1.178269824036744, 1.079185826420544], [-1.3441578862502745, -1.3703215881990922], [-0.08760508937624123, -0.32026907556224116]], dtype=torch.float64),))])), ('implicit_classifier_grad', dict(what='images (B, C, H, W)', inputs={'eps_cond': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]]], [[[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]]]], dtype=torch.float64), 'eps_uncond': torch.tensor([[[[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]]]], dtype=torch.float64), 'alpha_bar_t': torch.tensor([0.14868002935727814, 0.40698846698924407], dtype=torch.float64)}, outputs=[torch.tensor([[[[0.02057962614560564, -0.5716947921939002], [-0.32732702641600186, 2.0049098516961847]]], [[[-2.132020196668535, -0.7912041829270535], [0.07120618945896127, 0.023021352230526114]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('implicit_sign', 'the implicit gradient has the wrong sign: recheck the sign that relates a noise prediction to a score in your Question 2(c).', (torch.tensor([[[[-0.02057962614560564, 0.5716947921939002], [0.32732702641600186, -2.0049098516961843]]], [[[2.132020196668535, 0.7912041829270536], [-0.07120618945896129, -0.023021352230526114]]]], dtype=torch.float64),)), ('implicit_variance_not_std', "the difference is divided by the noise variance 1 - alpha_bar_t; noise predictions and scores are related through the noise's standard deviation (your Question 2(c)).", (torch.tensor([[[[0.022304426979381398, -0.6196091540615404], [-0.3547606602480826, 2.172943525358872]]], [[[-2.768597004073791, -1.0274412662156656], [0.09246687396096956, 0.02989504832775805]]]], dtype=torch.float64),)), ('implicit_times_noise_factor', "the noise's standard deviation is applied the wrong way: multiplying by it turns a score into a noise prediction, and here noise predictions have to become a score (your Question 2(c)).", (torch.tensor([[[[0.017519846726115187, -0.4866951937071081], [-0.2786600345190402, 1.7068197960873]]], [[[-1.2643125652363012, -0.46919320544209453], [0.042226091570912956, 0.013651927378204875]]]], dtype=torch.float64),)), ('implicit_missing_noise_factor', 'the difference of the noise predictions is returned as a gradient of log p without converting it: the factor between noise predictions and scores is missing (your Question 2(c)).', (torch.tensor([[[[0.01898820412128971, -0.5274856468456324], [-0.30201483486759034, 1.8498702182168079]]], [[[-1.6418099536747848, -0.609284520357064], [0.0548339226803069, 0.017728108438274437]]]], dtype=torch.float64),))])), ('implicit_classifier_grad', dict(what='float32 data (alpha_bar_t float64)', inputs={'eps_cond': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 'eps_uncond': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 'alpha_bar_t': torch.tensor([0.4353255591725957, 0.6625254066315395, 0.4258732863393227], dtype=torch.float64)}, outputs=[torch.tensor([[-0.6846462471296437, 1.7254083412213022], [1.1951171976133146, 3.249373682444987], [-1.0850303591354098, -1.91988961340448]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('implicit_sign', 'the implicit gradient has the wrong sign: recheck the sign that relates a noise prediction to a score in your Question 2(c).', (torch.tensor([[0.6846462488174438, -1.7254084348678589], [-1.1951171159744263, -3.2493736743927], [1.0850303173065186, 1.9198895692825317]], dtype=torch.float32),)), ('implicit_variance_not_std', "the difference is divided by the noise variance 1 - alpha_bar_t; noise predictions and scores are related through the noise's standard deviation (your Question 2(c)).", (torch.tensor([[-0.911102294921875, 2.2961108684539795], [2.0572636127471924, 5.593441963195801], [-1.431983470916748, -2.5338001251220703]], dtype=torch.float32),)), ('implicit_times_noise_factor', "the noise's standard deviation is applied the wrong way: multiplying by it turns a score into a noise prediction, and here noise predictions have to become a score (your Question 2(c)).", (torch.tensor([[-0.3866021931171417, 0.9742939472198486], [0.40332168340682983, 1.0965811014175415], [-0.6229448914527893, -1.102259874343872]], dtype=torch.float32),)), ('implicit_missing_noise_factor', 'the difference of the noise predictions is returned as a gradient of log p without converting it: the factor between noise predictions and scores is missing (your Question 2(c)).', (torch.tensor([[-0.5144761800765991, 1.2965550422668457], [0.6942741870880127, 1.8876445293426514], [-0.8221399784088135, -1.4547224044799805]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

