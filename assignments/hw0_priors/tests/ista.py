from otter.test_files import test_case

OK_FORMAT = False

name = "ista"
points = 2.5

@test_case(points=None, hidden=False)
def test_ista(soft_threshold, ista_step):
    """The public cases of ista: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'soft_threshold': soft_threshold, 'ista_step': ista_step}
    cases = [('soft_threshold', dict(what='lam = 0.5: values below, at and above the threshold', inputs={'v': torch.tensor([[-2.0, -0.5, -0.3, 0.0, 0.3, 0.5, 1.25]], dtype=torch.float64), 'lam': 0.5}, outputs=[torch.tensor([[-1.5, -0.0, -0.0, 0.0, 0.0, 0.0, 0.75]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('hard_threshold', 'this is hard thresholding (values above the threshold kept unchanged); soft thresholding also shrinks them towards 0 by lam.', (torch.tensor([[-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.25]], dtype=torch.float64),))])), ('soft_threshold', dict(what='a tensor lam, one threshold per column', inputs={'v': torch.tensor([[1.0, -1.0], [0.2, 3.0]], dtype=torch.float64), 'lam': torch.tensor([0.5, 2.0], dtype=torch.float64)}, outputs=[torch.tensor([[0.5, -0.0], [0.0, 1.0]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('hard_threshold', 'this is hard thresholding (values above the threshold kept unchanged); soft thresholding also shrinks them towards 0 by lam.', (torch.tensor([[1.0, 0.0], [0.0, 3.0]], dtype=torch.float64),))])), ('soft_threshold', dict(what='float32 values', inputs={'v': torch.tensor([[-2.0, -0.5, -0.30000001192092896, 0.0, 0.30000001192092896, 0.5, 1.25]], dtype=torch.float32), 'lam': 0.25}, outputs=[torch.tensor([[-1.75, -0.25, -0.050000011920928955, 0.0, 0.050000011920928955, 0.25, 1.0]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('hard_threshold', 'this is hard thresholding (values above the threshold kept unchanged); soft thresholding also shrinks them towards 0 by lam.', (torch.tensor([[-2.0, -0.5, -0.30000001192092896, 0.0, 0.30000001192092896, 0.5, 1.25]], dtype=torch.float32),))])), ('ista_step', dict(what='3 measurements of 4 coefficients', inputs={'x': torch.tensor([[-0.08738604602758097, -0.21109520578817678, 0.10682149874930555, 0.10866096551128179], [1.0589193775255241, -0.5560103813461407, -0.18880250356349904, 1.0213858037461652]], dtype=torch.float64), 'y': torch.tensor([[-0.6615861100167054, -0.1489788645933131, 0.38686221885475636], [0.22713226547654342, -0.7254454450729044, -0.6838906635029195]], dtype=torch.float64), 'H': torch.tensor([[0.172792096032393, 0.4108090717505792, 0.16521853809169357, -0.6515786158021805], [0.45267793333655887, 0.22318728618200565, -0.2684766176801426, 0.29055905209817656], [0.18228619809303787, 0.147066248327763, 0.014211120657898394, 0.27335649330622347]], dtype=torch.float64), 'lam': 0.1, 'step': 1.2852274465450573}, outputs=[torch.tensor([[-0.014979786963732644, -0.2926591438910312, 0.0, 0.521491364314206], [0.06368609166091668, -0.5279467335939093, 0.3617140107496989, -0.5716210893846964]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('threshold_not_scaled_by_step', 'the threshold is lam; the proximal step of lam ||x||_1 after a gradient step of size `step` thresholds at lam * step.', (torch.tensor([[-0.04350253161823836, -0.321181888545537, 0.0, 0.5500141089687117], [0.0922088363154224, -0.5564694782484151, 0.39023675540420466, -0.6001438340392021]], dtype=torch.float64),)), ('gradient_ascent', 'the data step goes uphill: the gradient of 0.5 ||y - H x||^2 is H^T (H x - y), and the step subtracts it.', (torch.tensor([[-0.0, -0.0, 0.056023666065830785, -0.30416943329164237], [1.7971071740811202, -0.32702853978936053, -0.739319017876697, 2.6143926968770264]], dtype=torch.float64),))])), ('ista_step', dict(what='float32 inputs', inputs={'x': torch.tensor([[0.09401754289865494, 0.16528549790382385, 0.20525196194648743], [-0.5053787231445312, 0.39159050583839417, 1.0283514261245728]], dtype=torch.float32), 'y': torch.tensor([[-0.3111855387687683, 1.7548491954803467, 0.30821263790130615], [0.1327347308397293, -0.3267289996147156, 0.03418809548020363]], dtype=torch.float32), 'H': torch.tensor([[0.10915002226829529, -0.3018089532852173, -0.23848234117031097], [-1.4095818996429443, 1.0390615463256836, 0.6605844497680664], [-0.18788295984268188, 0.446757435798645, 0.16235706210136414]], dtype=torch.float32), 'lam': 0.2, 'step': 0.1308058518218089}, outputs=[torch.tensor([[-0.17970616669436545, 0.3754464149410908, 0.32720917014844514], [-0.06958355011175887, 0.031271422831141364, 0.7927964012112871]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('threshold_not_scaled_by_step', 'the threshold is lam; the proximal step of lam ||x||_1 after a gradient step of size `step` thresholds at lam * step.', (torch.tensor([[-0.0058673471212387085, 0.2016075700521469, 0.15337033569812775], [-0.0, 0.0, 0.6189575791358948]], dtype=torch.float32),)), ('gradient_ascent', 'the data step goes uphill: the gradient of 0.5 ||y - H x||^2 is H^T (H x - y), and the step subtracts it.', (torch.tensor([[0.36774125695228577, -0.044875405728816986, 0.030972415581345558], [-0.888851523399353, 0.6995872259140015, 1.2115840911865234]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

