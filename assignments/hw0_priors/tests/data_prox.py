from otter.test_files import test_case

OK_FORMAT = False

name = "data_prox"
points = 1.5

@test_case(points=None, hidden=False)
def test_data_prox(data_prox_matrix):
    """The public cases of data_prox: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'data_prox_matrix': data_prox_matrix}
    cases = [('data_prox_matrix', dict(what='3 measurements of 4 unknowns', inputs={'v': torch.tensor([[-0.17477209205516195, -0.42219041157635356, 0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813, -0.37760500712699807, 2.0427716074923303]], dtype=torch.float64), 'y': torch.tensor([[-0.6615861100167054, -0.1489788645933131, 0.38686221885475636], [0.22713226547654342, -0.7254454450729044, -0.6838906635029195]], dtype=torch.float64), 'H': torch.tensor([[0.172792096032393, 0.4108090717505792, 0.16521853809169357, -0.6515786158021805], [0.45267793333655887, 0.22318728618200565, -0.2684766176801426, 0.29055905209817656], [0.18228619809303787, 0.147066248327763, 0.014211120657898394, 0.27335649330622347]], dtype=torch.float64), 'sigma_y': 0.5, 'rho': 2.0}, outputs=[torch.tensor([[-0.16093255591285746, -0.4630819153718953, 0.21674831809356274, 0.5327655026223131], [1.1814096866886636, -1.2507499601480412, 0.3253690645839816, 0.23083482568428454]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('prox_sigma_not_squared', 'sigma_y enters unsquared; the data term ||y - H x||^2 / (2 sigma_y**2) weighs H^T H and H^T y by 1 / sigma_y**2.', (torch.tensor([[-0.1627790848686032, -0.45942680742788733, 0.19841474506796095, 0.43152619209939547], [1.4942752806516593, -1.1721127153718307, 0.12048567274292851, 0.7738643934324212]], dtype=torch.float64),))])), ('data_prox_matrix', dict(what='inpainting: H selects 2 of 4 pixels', inputs={'v': torch.tensor([[0.45495807124085547, -0.09919805171738795, 0.5452887139646817, -0.6071856998706371], [0.12682784711186987, -0.8922740434297903, 0.8414649723701431, 0.18803508698068597]], dtype=torch.float64), 'y': torch.tensor([[2.092977618058713, 1.050998908039483], [0.18256349858026044, -0.7914668630317219]], dtype=torch.float64), 'H': torch.tensor([[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], dtype=torch.float64), 'sigma_y': 0.1, 'rho': 1.0}, outputs=[torch.tensor([[0.45495807124085547, -0.09919805171738795, 2.0776539655429307, 1.0345812386542343], [0.12682784711186987, -0.8922740434297903, 0.18908727554847712, -0.7817688239226881]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('prox_sigma_not_squared', 'sigma_y enters unsquared; the data term ||y - H x||^2 / (2 sigma_y**2) weighs H^T H and H^T y by 1 / sigma_y**2.', (torch.tensor([[0.45495807124085547, -0.09919805171738795, 1.9522786267774372, 0.9002548527749266], [0.12682784711186987, -0.8922740434297903, 0.24246363256115888, -0.7024212312124121]], dtype=torch.float64),))])), ('data_prox_matrix', dict(what='float32 inputs', inputs={'v': torch.tensor([[-0.6720146536827087, 0.38018909096717834, -0.11005869507789612], [1.4825711250305176, -1.8296040296554565, -0.0030809645541012287]], dtype=torch.float32), 'y': torch.tensor([[2.074563503265381, -0.7104798555374146, -1.199237585067749], [-1.7038443088531494, -0.6230315566062927, 1.1192876100540161]], dtype=torch.float32), 'H': torch.tensor([[-0.3763118088245392, -0.10087307542562485, 0.9605515003204346], [0.38055911660194397, -0.9476611614227295, -0.003004105994477868], [-0.3599569499492645, 0.08581244945526123, -0.9284876585006714]], dtype=torch.float32), 'sigma_y': 0.5, 'rho': 1.0}, outputs=[torch.tensor([[-0.9395716732992403, 0.3343115002594401, 1.52952910072947], [0.6982879499492275, 0.3659844586408462, -1.2735503406227722]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('prox_sigma_not_squared', 'sigma_y enters unsquared; the data term ||y - H x||^2 / (2 sigma_y**2) weighs H^T H and H^T y by 1 / sigma_y**2.', (torch.tensor([[-0.8707596063613892, 0.3377207815647125, 1.35123872756958], [0.7793515920639038, 0.012367015704512596, -1.1604145765304565]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

