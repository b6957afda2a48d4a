from otter.test_files import test_case

OK_FORMAT = False

name = "ddim_euler_step"
points = 1.5

@test_case(points=None, hidden=False)
def test_ddim_euler_step(ddim_euler_step):
    """The public cases of ddim_euler_step: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'ddim_euler_step': ddim_euler_step}
    cases = [('ddim_euler_step', dict(what='points, Python float alpha_bars', inputs={'x_t': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'alpha_bar_t': 0.3, 'alpha_bar_prev': 0.6, 'eps_pred': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64)}, outputs=[torch.tensor([[-0.5403822346459155, -0.7084392026926164], [1.2932839151771756, 0.8452952350462329], [-0.41427598485150036, 0.48861191680830707]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('ddim_euler_vp_sigma', 'the time variable is sqrt(1 - alpha_bar), the VP noise level; in the coordinates x / sqrt(alpha_bar) the noise level is sqrt(1 - alpha_bar) / sqrt(alpha_bar).', (torch.tensor([[-0.0284522854225976, -0.33663008261184374], [1.0170085079187505, 0.34851062845210373], [-0.6589637554927158, 0.5048358476186215]], dtype=torch.float64),)), ('ddim_euler_no_rescale', 'the result stays in the scaled coordinates x / sqrt(alpha_bar); multiply by sqrt(alpha_bar_prev) to return to x.', (torch.tensor([[-0.6976304651233264, -0.914591077942988], [1.669622355133042, 1.0912714559875147], [-0.5348279966878456, 0.6307952721856857]], dtype=torch.float64),))])), ('ddim_euler_step', dict(what='alpha_bar per sample (B,), images', inputs={'x_t': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]]], [[[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]]]], dtype=torch.float64), 'alpha_bar_t': torch.tensor([0.1, 0.5], dtype=torch.float64), 'alpha_bar_prev': torch.tensor([0.4, 0.9], dtype=torch.float64), 'eps_pred': torch.tensor([[[[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[0.2818374615287229, 1.3129931652453768], [0.6289625145634528, -3.220147363200742]]], [[[1.6804368184386107, 0.7019076301715216], [-0.415479334597699, 0.4009081503451256]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('ddim_euler_vp_sigma', 'the time variable is sqrt(1 - alpha_bar), the VP noise level; in the coordinates x / sqrt(alpha_bar) the noise level is sqrt(1 - alpha_bar) / sqrt(alpha_bar).', (torch.tensor([[[[0.651028215409862, 1.610851695724385], [0.6577448052912866, -2.666508684585481]]], [[[1.4877545511780779, 0.6592846633191075], [-0.541618687881046, 0.5575873622979028]]]], dtype=torch.float64),)), ('ddim_euler_no_rescale', 'the result stays in the scaled coordinates x / sqrt(alpha_bar); multiply by sqrt(alpha_bar_prev) to return to x.', (torch.tensor([[[[0.44562415419542273, 2.076024477204612], [0.9944770544436677, -5.091500034549909]]], [[[1.7713359367576151, 0.7398756061310439], [-0.43795367268664226, 0.4225942958719389]]]], dtype=torch.float64),))])), ('ddim_euler_step', dict(what='the last step, alpha_bar_prev = 1', inputs={'x_t': torch.tensor([[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556], [1.799707382720902, 1.1441658720372287]], dtype=torch.float64), 'alpha_bar_t': 0.8, 'alpha_bar_prev': 1.0, 'eps_pred': torch.tensor([[-0.32542283686782436, 0.7738065867276614], [0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]], dtype=torch.float64)}, outputs=[torch.tensor([[0.37407952496719266, -0.9713538185053416], [-0.6024244159244285, -2.452732098003578], [1.523350298123066, 1.434494607034861]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('ddim_euler_vp_sigma', 'the time variable is sqrt(1 - alpha_bar), the VP noise level; in the coordinates x / sqrt(alpha_bar) the noise level is sqrt(1 - alpha_bar) / sqrt(alpha_bar).', (torch.tensor([[0.3569016234667365, -0.9305073510135384], [-0.587580315758762, -2.4819664142684186], [1.57495256902428, 1.4181014435427748]], dtype=torch.float64),))])), ('ddim_euler_step', dict(what='float32 data', inputs={'x_t': torch.tensor([[2.040919065475464, -2.5556650161743164], [0.4180988371372223, -0.5677695870399475], [-0.4526492953300476, -0.21559716761112213]], dtype=torch.float32), 'alpha_bar_t': torch.tensor([0.2, 0.5, 0.7], dtype=torch.float64), 'alpha_bar_prev': torch.tensor([0.5, 0.6, 0.99], dtype=torch.float64), 'eps_pred': torch.tensor([[-2.019986152648926, -0.2319323718547821], [-0.8652130961418152, 3.3229994773864746], [0.22578661143779755, -0.3526307940483093]], dtype=torch.float32)}, outputs=[torch.tensor([[4.655322289923373, -3.8768602408457546], [0.5809867021461563, -1.0942953452310076], [-0.6627999497797679, -0.061965417052653335]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('ddim_euler_vp_sigma', 'the time variable is sqrt(1 - alpha_bar), the VP noise level; in the coordinates x / sqrt(alpha_bar) the noise level is sqrt(1 - alpha_bar) / sqrt(alpha_bar).', (torch.tensor([[3.494534492492676, -4.010140419006348], [0.5080350041389465, -0.8141115307807922], [-0.6388905644416809, -0.09930682182312012]], dtype=torch.float32),)), ('ddim_euler_no_rescale', 'the result stays in the scaled coordinates x / sqrt(alpha_bar); multiply by sqrt(alpha_bar_prev) to return to x.', (torch.tensor([[6.583619594573975, -5.48270845413208], [0.7500506043434143, -1.412729263305664], [-0.6661390066146851, -0.062277570366859436]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

