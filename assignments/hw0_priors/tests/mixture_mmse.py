from otter.test_files import test_case

OK_FORMAT = False

name = "mixture_mmse"
points = 3

@test_case(points=None, hidden=False)
def test_mixture_mmse(mixture_mmse):
    """The public cases of mixture_mmse: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'mixture_mmse': mixture_mmse}
    cases = [('mixture_mmse', dict(what='three components in 2-D, sigma = 0.5', inputs={'y': torch.tensor([[2.5881276287964146, 2.0134486306115886], [-5.422324957931937, -3.7780264919353455], [-0.3495441841103239, -0.8443808231527071]], dtype=torch.float64), 'sigma': 0.5, 'weights': torch.tensor([0.1762573668424532, 0.07441830533636448, 0.7493243278211823], dtype=torch.float64), 'means': torch.tensor([[1.8107117333462355, 0.8927491447280226], [-1.0739064707205703, 1.1622362083927062], [0.7291447923721515, 0.588264993311052]], dtype=torch.float64), 'covs': torch.tensor([[[0.37492572838302873, -0.027499164998731618], [-0.027499164998731618, 0.44222606835413947]], [[0.44776395451146306, -0.04857185320803235], [-0.04857185320803235, 0.3217771992519601]], [[0.46938217303494906, 0.01612912222142143], [0.01612912222142143, 0.31900581412826173]]], dtype=torch.float64)}, outputs=[torch.tensor([[2.186498680024275, 1.5502403853916287], [-3.6586975338271652, -1.5254172495622316], [-0.001984083651481649, -0.21775830624808545]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('map_component_as_mmse', "this returns the posterior mean of the single most probable component (a MAP decision over the components); the MMSE estimate averages every component's posterior mean, weighted by its responsibility.", (torch.tensor([[2.2587381667084565, 1.5956186472285854], [-3.7038170227706244, -1.4719940164002754], [0.011438889529052365, -0.2251619940074504]], dtype=torch.float64),)), ('responsibilities_of_the_prior', "the responsibilities use the components' covariances Sigma_k; y is observed with noise, so they must be computed under the law of y, with Sigma_k + sigma**2 I.", (torch.tensor([[2.239882212590853, 1.5837692205500353], [-3.362147764475972, -1.8765437362851662], [0.005220125264090244, -0.22233826849691063]], dtype=torch.float64),))])), ('mixture_mmse', dict(what='1-D, two components, sigma = 1.5 (heavy noise)', inputs={'y': torch.tensor([[-0.6508456737356487], [1.547613173455323], [0.5624213395952985], [-1.1076456728481048]], dtype=torch.float64), 'sigma': 1.5, 'weights': torch.tensor([0.38522739974910025, 0.6147726002508997], dtype=torch.float64), 'means': torch.tensor([[-0.8261270867837869], [-4.882934765279711]], dtype=torch.float64), 'covs': torch.tensor([[[1.1097366658550298]], [[0.627278885683678]]], dtype=torch.float64)}, outputs=[torch.tensor([[-0.9966660058008685], [-0.052424278169406674], [-0.4111291718705455], [-1.3206747799387686]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('map_component_as_mmse', "this returns the posterior mean of the single most probable component (a MAP decision over the components); the MMSE estimate averages every component's posterior mean, weighted by its responsibility.", (torch.tensor([[-0.7682308198295147], [-0.042069625145433], [-0.3674830755645265], [-0.9191139866948047]], dtype=torch.float64),)), ('responsibilities_of_the_prior', "the responsibilities use the components' covariances Sigma_k; y is observed with noise, so they must be computed under the law of y, with Sigma_k + sigma**2 I.", (torch.tensor([[-0.7682351528864112], [-0.042069625145880626], [-0.3674830764800605], [-0.9191944257096257]], dtype=torch.float64),))])), ('mixture_mmse', dict(what='one component: the Gaussian posterior mean', inputs={'y': torch.tensor([[-0.46386475528837895, -1.7304261525498834], [6.645999033289765, 0.4515732264558435]], dtype=torch.float64), 'sigma': 0.7, 'weights': torch.tensor([1.0], dtype=torch.float64), 'means': torch.tensor([[-5.1113300626283635, 0.8361976934515577]], dtype=torch.float64), 'covs': torch.tensor([[[0.4318134268226881, 0.2591887019502996], [0.2591887019502996, 1.3317065246699125]]], dtype=torch.float64)}, outputs=[torch.tensor([[-3.2394232687623794, -0.6451585388801301], [0.10552380323800215, 1.4855944852776628]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('mixture_mmse', dict(what='float32 observations: a float32 result', inputs={'y': torch.tensor([[-2.9862334728240967, 4.505458354949951], [-3.8312911987304688, 2.203603744506836]], dtype=torch.float32), 'sigma': 0.5, 'weights': torch.tensor([0.8583325726593513, 0.14166742734064874], dtype=torch.float64), 'means': torch.tensor([[3.3274479827823935, 1.31829549966451], [-3.2827945891692933, -0.010406528343863955]], dtype=torch.float64), 'covs': torch.tensor([[[0.40269959150786505, 0.25964542362009724], [0.25964542362009724, 0.9611803974137207]], [[0.9345003919575372, 0.2197407013305074], [0.2197407013305074, 0.39023049005677435]]], dtype=torch.float64)}, outputs=[torch.tensor([[-2.7037067819151, 2.6451145373343454], [-3.536364071985193, 1.237842082905492]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[]))]
    depends = []
    run_cases(functions, cases, depends)

