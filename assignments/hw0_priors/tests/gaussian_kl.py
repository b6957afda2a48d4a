from otter.test_files import test_case

OK_FORMAT = False

name = "gaussian_kl"
points = 2.5

@test_case(points=None, hidden=False)
def test_gaussian_kl(gaussian_kl):
    """The public cases of gaussian_kl: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'gaussian_kl': gaussian_kl}
    cases = [('gaussian_kl', dict(what='two single Gaussians in 2-D (a 0-d result)', inputs={'mean1': torch.tensor([0.345584192064786, 0.8216181435011584], dtype=torch.float64), 'cov1': torch.tensor([[1.4037037157996837, -0.14126655324576193], [-0.14126655324576193, 1.0094597520862931]], dtype=torch.float64), 'mean2': torch.tensor([-0.5369532353602852, 0.5811181041963531], dtype=torch.float64), 'cov2': torch.tensor([[0.609713478824835, 0.08558401016389855], [0.08558401016389855, 0.6498514567660575]], dtype=torch.float64)}, outputs=[torch.tensor(1.0051893999059396, dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('kl_arguments_swapped', 'this is KL(N(mean2, cov2) || N(mean1, cov1)): the divergence is not symmetric, and the trace and the Mahalanobis term use the inverse of the *second* covariance.', (torch.tensor(0.5267257601379753, dtype=torch.float64),)), ('kl_without_half', 'the result is twice the KL divergence: the bracket of trace, Mahalanobis, -d and log-determinants is multiplied by 1/2.', (torch.tensor(2.010378799811879, dtype=torch.float64),))])), ('gaussian_kl', dict(what='a batch of three first means against one second Gaussian', inputs={'mean1': torch.tensor([[0.18905338179353307, -0.5227484414807474, -0.41306354339189344], [-2.4414673826398556, 1.799707382720902, 1.1441658720372287], [-0.32542283686782436, 0.7738065867276614, 0.28121066979764925]], dtype=torch.float64), 'cov1': torch.tensor([[0.9529344081062319, -0.24451896826793829, 0.2588533795802524], [-0.24451896826793829, 0.8142028294975832, -0.2251913432528226], [0.2588533795802524, -0.2251913432528226, 0.7252848363897259]], dtype=torch.float64), 'mean2': torch.tensor([0.12682784711186987, -0.8922740434297903, 0.8414649723701431], dtype=torch.float64), 'cov2': torch.tensor([[0.6043826159731124, 0.30437453724552455, -0.4991723848462239], [0.30437453724552455, 2.4550098932716296, -0.9311217189662013], [-0.4991723848462239, -0.9311217189662013, 3.146625147762333]], dtype=torch.float64)}, outputs=[torch.tensor([1.1412286840728307, 9.861466765498129, 1.8489746899540167], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('kl_arguments_swapped', 'this is KL(N(mean2, cov2) || N(mean1, cov1)): the divergence is not symmetric, and the trace and the Mahalanobis term use the inverse of the *second* covariance.', (torch.tensor([3.265092646749798, 9.880784718413693, 3.7404804778719023], dtype=torch.float64),)), ('kl_without_half', 'the result is twice the KL divergence: the bracket of trace, Mahalanobis, -d and log-determinants is multiplied by 1/2.', (torch.tensor([2.2824573681456615, 19.722933530996258, 3.6979493799080334], dtype=torch.float64),))])), ('gaussian_kl', dict(what='batched covariances', inputs={'mean1': torch.tensor([[2.0409191213851825, -2.5556650313141818], [0.41809884672577885, -0.5677696061279298]], dtype=torch.float64), 'cov1': torch.tensor([[[0.6256867591902214, 0.4821746270400872], [0.4821746270400872, 2.5670682948734904]], [[6.395459727489636, -0.6835727446819265], [-0.6835727446819265, 0.5876640359154598]]], dtype=torch.float64), 'mean2': torch.tensor([-0.2812874181513504, -0.6680463461089501], dtype=torch.float64), 'cov2': torch.tensor([[[1.1330340447580163, -0.2076489798809892], [-0.2076489798809892, 0.6445895903560587]], [[0.978611311937354, -0.14281174382281925], [-0.14281174382281925, 1.6950753152710059]]], dtype=torch.float64)}, outputs=[torch.tensor([5.350835964651281, 2.33761289472226], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('kl_arguments_swapped', 'this is KL(N(mean2, cov2) || N(mean1, cov1)): the divergence is not symmetric, and the trace and the Mahalanobis term use the inverse of the *second* covariance.', (torch.tensor([8.013464213773927, 1.1214411031044218], dtype=torch.float64),)), ('kl_without_half', 'the result is twice the KL divergence: the bracket of trace, Mahalanobis, -d and log-determinants is multiplied by 1/2.', (torch.tensor([10.701671929302561, 4.67522578944452], dtype=torch.float64),))])), ('gaussian_kl', dict(what='float32 inputs', inputs={'mean1': torch.tensor([[-0.6517911553382874, -0.17471729218959808], [1.6637239456176758, 0.6591477394104004]], dtype=torch.float32), 'cov1': torch.tensor([[1.8471060991287231, 0.5112891793251038], [0.5112891793251038, 0.7053991556167603]], dtype=torch.float32), 'mean2': torch.tensor([-1.6081877946853638, 0.2417718768119812], dtype=torch.float32), 'cov2': torch.tensor([[1.769000768661499, 0.4394814074039459], [0.4394814074039459, 0.6804609894752502]], dtype=torch.float32)}, outputs=[torch.tensor([0.6348057936261384, 3.164541905710455], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('kl_arguments_swapped', 'this is KL(N(mean2, cov2) || N(mean1, cov1)): the divergence is not symmetric, and the trace and the Mahalanobis term use the inverse of the *second* covariance.', (torch.tensor([0.6608685255050659, 3.111086368560791], dtype=torch.float32),)), ('kl_without_half', 'the result is twice the KL divergence: the bracket of trace, Mahalanobis, -d and log-determinants is multiplied by 1/2.', (torch.tensor([1.2696115970611572, 6.329082489013672], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

