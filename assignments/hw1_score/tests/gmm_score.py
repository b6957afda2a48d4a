from otter.test_files import test_case

OK_FORMAT = False

name = "gmm_score"
points = 6

@test_case(points=None, hidden=False)
def test_gmm_score(gmm_score):
    """The public cases of gmm_score: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'gmm_score': gmm_score}
    cases = [('gmm_score', dict(what='one standard Gaussian: the score is -x', inputs={'x': torch.tensor([[1.0, 2.0], [-0.5, 0.0], [3.0, -1.0]], dtype=torch.float64), 'weights': torch.tensor([1.0], dtype=torch.float64), 'means': torch.tensor([[0.0, 0.0]], dtype=torch.float64), 'covs': torch.tensor([[[1.0, 0.0], [0.0, 1.0]]], dtype=torch.float64)}, outputs=[torch.tensor([[-1.0, -2.0], [0.5, -0.0], [-3.0, 1.0]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('score_sign', 'the score points away from the modes; the score of a Gaussian is -Sigma^{-1} (x - mu), which points towards its mean.', (torch.tensor([[1.0, 2.0], [-0.5, 0.0], [3.0, -1.0]], dtype=torch.float64),))])), ('gmm_score', dict(what='three components, unequal weights, full covariances', inputs={'x': torch.tensor([[-0.47018226214936254, -2.5348929628874064], [0.542528717643403, 0.3135021732484503], [-0.37386188925990876, -5.033519421641026], [-1.0773857916932732, -0.09700189080214397]], dtype=torch.float64), 'weights': torch.tensor([0.31003846315564426, 0.4342765074310518, 0.25568502941330407], dtype=torch.float64), 'means': torch.tensor([[-1.7811836775145484, -0.9093415703434451], [-1.9832931099929247, 0.12028720519487697], [2.680430491109067, -0.9844130371026593]], dtype=torch.float64), 'covs': torch.tensor([[[0.45623358385905083, -0.04245077469682208], [-0.04245077469682208, 0.33462012512130757]], [[0.5166566128351331, -0.15190916963430973], [-0.15190916963430973, 0.8725898203391844]], [[1.2560150227720617, 1.0229153321798483], [1.0229153321798483, 1.5637238829398648]]], dtype=torch.float64)}, outputs=[torch.tensor([[-0.8391950684193906, 2.3957944507738653], [-4.433760836577642, -1.6757438327387943], [0.6908768919555998, 2.137627773360475], [-1.7769512290239187, -0.9042768208488714]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('unweighted_responsibilities', 'the responsibilities ignore the mixture weights; r_k(x) is proportional to pi_k N(x; mu_k, Sigma_k), so log pi_k belongs in the softmax.', (torch.tensor([[-0.4468503945626432, 2.1563107892625433], [-3.9906597065897036, -1.8942502406252801], [0.6909467132520827, 2.137513262068648], [-1.778414683568009, -1.106288192072105]], dtype=torch.float64),)), ('identity_covariance', "each component's score is -(x - mu_k), as if Sigma_k were the identity; the score of N(mu_k, Sigma_k) is -Sigma_k^{-1} (x - mu_k).", (torch.tensor([[-0.2877380908294791, 1.9858951278927959], [-2.1385443367544172, -0.378298997647453], [3.053923022233686, 4.049193872257829], [-0.8401048296787113, -0.11793476079221799]], dtype=torch.float64),)), ('no_log_det', 'the responsibilities leave out -1/2 log det Sigma_k; components with different covariances need it (it is the normalising constant of N(x; mu_k, Sigma_k)).', (torch.tensor([[-0.04051537327785515, 1.5915441168968756], [-4.042622201082757, -1.6634654754409117], [0.6909307626513552, 2.1375394156147545], [-1.775018407510571, -0.6375623799109467]], dtype=torch.float64),)), ('score_sign', 'the score points away from the modes; the score of a Gaussian is -Sigma^{-1} (x - mu), which points towards its mean.', (torch.tensor([[0.8391950684193906, -2.3957944507738653], [4.433760836577642, 1.6757438327387943], [-0.6908768919555998, -2.137627773360475], [1.7769512290239187, 0.9042768208488714]], dtype=torch.float64),))])), ('gmm_score', dict(what='far from both modes (the densities underflow: log-sum-exp needed)', inputs={'x': torch.tensor([[50.0, 0.0], [3.0, -40.0]], dtype=torch.float64), 'weights': torch.tensor([0.3, 0.7], dtype=torch.float64), 'means': torch.tensor([[-1.0, 0.0], [1.0, 0.0]], dtype=torch.float64), 'covs': torch.tensor([[[0.01, 0.0], [0.0, 0.01]], [[0.01, 0.0], [0.0, 0.01]]], dtype=torch.float64)}, outputs=[torch.tensor([[-4900.0, -0.0], [-200.0, 4000.0]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('identity_covariance', "each component's score is -(x - mu_k), as if Sigma_k were the identity; the score of N(mu_k, Sigma_k) is -Sigma_k^{-1} (x - mu_k).", (torch.tensor([[-49.0, -0.0], [-2.0, 40.0]], dtype=torch.float64),)), ('score_sign', 'the score points away from the modes; the score of a Gaussian is -Sigma^{-1} (x - mu), which points towards its mean.', (torch.tensor([[4900.0, 0.0], [200.0, -4000.0]], dtype=torch.float64),)), ('unstable_responsibilities', 'far from every mode the densities underflow to 0 and the responsibilities become 0/0 = nan; compute them from log pi_k + log N(x; mu_k, Sigma_k) with a log-sum-exp (torch.softmax or torch.logsumexp).', (torch.tensor([[float('nan'), float('nan')], [float('nan'), float('nan')]], dtype=torch.float64),))])), ('gmm_score', dict(what='float32 points, float64 mixture: a float32 score', inputs={'x': torch.tensor([[-0.47018226981163025, -2.534893035888672], [0.5425286889076233, 0.31350216269493103], [-0.3738618791103363, -5.033519268035889], [-1.0773857831954956, -0.09700188785791397]], dtype=torch.float32), 'weights': torch.tensor([0.31003846315564426, 0.4342765074310518, 0.25568502941330407], dtype=torch.float64), 'means': torch.tensor([[-1.7811836775145484, -0.9093415703434451], [-1.9832931099929247, 0.12028720519487697], [2.680430491109067, -0.9844130371026593]], dtype=torch.float64), 'covs': torch.tensor([[[0.45623358385905083, -0.04245077469682208], [-0.04245077469682208, 0.33462012512130757]], [[0.5166566128351331, -0.15190916963430973], [-0.15190916963430973, 0.8725898203391844]], [[1.2560150227720617, 1.0229153321798483], [1.0229153321798483, 1.5637238829398648]]], dtype=torch.float64)}, outputs=[torch.tensor([[-0.8391946939196108, 2.395794246175634], [-4.43376097868878, -1.6757437702330944], [0.6908770457702931, 2.137627574587408], [-1.7769512477942782, -0.9042768245140151]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('unweighted_responsibilities', 'the responsibilities ignore the mixture weights; r_k(x) is proportional to pi_k N(x; mu_k, Sigma_k), so log pi_k belongs in the softmax.', (torch.tensor([[-0.4468499422073364, 2.156310558319092], [-3.9906599521636963, -1.8942501544952393], [0.6909468770027161, 2.1375131607055664], [-1.7784147262573242, -1.106288194656372]], dtype=torch.float32),)), ('identity_covariance', "each component's score is -(x - mu_k), as if Sigma_k were the identity; the score of N(mu_k, Sigma_k) is -Sigma_k^{-1} (x - mu_k).", (torch.tensor([[-0.2877378463745117, 1.9858951568603516], [-2.1385443210601807, -0.37829896807670593], [3.053922653198242, 4.049193382263184], [-0.840104877948761, -0.11793476343154907]], dtype=torch.float32),)), ('no_log_det', 'the responsibilities leave out -1/2 log det Sigma_k; components with different covariances need it (it is the normalising constant of N(x; mu_k, Sigma_k)).', (torch.tensor([[-0.04051494598388672, 1.5915439128875732], [-4.0426225662231445, -1.6634653806686401], [0.6909309029579163, 2.1375391483306885], [-1.7750184535980225, -0.6375623941421509]], dtype=torch.float32),)), ('score_sign', 'the score points away from the modes; the score of a Gaussian is -Sigma^{-1} (x - mu), which points towards its mean.', (torch.tensor([[0.8391947150230408, -2.395794153213501], [4.433761119842529, 1.675743818283081], [-0.6908770203590393, -2.137627601623535], [1.7769511938095093, 0.9042768478393555]], dtype=torch.float32),)), ('float64_for_float32', "float32 points give a float64 score; cast the (float64) mixture parameters to x.dtype so the result keeps the data's dtype.", (torch.tensor([[-0.8391946939196108, 2.395794246175634], [-4.43376097868878, -1.6757437702330944], [0.6908770457702931, 2.137627574587408], [-1.7769512477942782, -0.9042768245140151]], dtype=torch.float64),))]))]
    depends = []
    run_cases(functions, cases, depends)

