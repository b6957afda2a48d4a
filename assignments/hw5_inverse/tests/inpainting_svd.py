from otter.test_files import test_case

OK_FORMAT = False

name = "inpainting_svd"
points = 3

@test_case(points=None, hidden=False)
def test_inpainting_svd(inpaint_V_T, inpaint_V, inpaint_singulars):
    """The public cases of inpainting_svd: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'inpaint_V_T': inpaint_V_T, 'inpaint_V': inpaint_V, 'inpaint_singulars': inpaint_singulars}
    cases = [('inpaint_V_T', dict(what='a random mask on (1, 3, 3) images', inputs={'x': torch.tensor([[[[-1.1575496471201177, 0.2897558023277514, 0.7808540692250985], [0.5439736447085796, -0.9613826412454365, 1.071008665601581], [0.7014556601104507, 0.7049734550988194, 0.7450626026618294]]], [[[1.1043472383723143, 2.242972395734681, -0.6114931227230745], [0.04721118309074067, 1.7542346824437531, -1.3379798662995022], [0.3255744688871539, -0.6891177159876936, -0.019821809991921974]]]], dtype=torch.float64), 'mask': torch.tensor([[[True, True, False], [False, True, True], [True, True, False]]], dtype=torch.bool)}, outputs=[torch.tensor([[-1.1575496471201177, 0.2897558023277514, -0.9613826412454365, 1.071008665601581, 0.7014556601104507, 0.7049734550988194, 0.7808540692250985, 0.5439736447085796, 0.7450626026618294], [1.1043472383723143, 2.242972395734681, 1.7542346824437531, -1.3379798662995022, 0.3255744688871539, -0.6891177159876936, -0.6114931227230745, 0.04721118309074067, -0.019821809991921974]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[('inpaint_V_T_inverse_permutation', "this is the inverse permutation (what inpaint_V does): V^T x must list x's observed entries first, i.e. entry k of the result is x at the k-th index of the observed-then-missing order.", (torch.tensor([[-1.1575496471201177, 0.2897558023277514, 0.7014556601104507, 0.7049734550988194, 0.7808540692250985, 0.5439736447085796, -0.9613826412454365, 1.071008665601581, 0.7450626026618294], [1.1043472383723143, 2.242972395734681, 0.3255744688871539, -0.6891177159876936, -0.6114931227230745, 0.04721118309074067, 1.7542346824437531, -1.3379798662995022, -0.019821809991921974]], dtype=torch.float64),)), ('missing_first', 'the missing entries come first: the convention puts the m observed coordinates first (they go with singulars() and with y), then the d - m missing ones.', (torch.tensor([[0.7808540692250985, 0.5439736447085796, 0.7450626026618294, -1.1575496471201177, 0.2897558023277514, -0.9613826412454365, 1.071008665601581, 0.7014556601104507, 0.7049734550988194], [-0.6114931227230745, 0.04721118309074067, -0.019821809991921974, 1.1043472383723143, 2.242972395734681, 1.7542346824437531, -1.3379798662995022, 0.3255744688871539, -0.6891177159876936]], dtype=torch.float64),))])), ('inpaint_V', dict(what='the inverse permutation, a random mask on flat (5,) data', inputs={'z': torch.tensor([[-0.7901524999630146, -2.0346254818318728, 0.6033017469247647, 0.7442945298799118, -0.30968679986627135], [0.36732137294554024, 1.7103942914776449, 1.0607978400658138, 0.7076390208060754, 0.687749388505445]], dtype=torch.float64), 'mask': torch.tensor([False, False, True, False, True], dtype=torch.bool)}, outputs=[torch.tensor([[0.6033017469247647, 0.7442945298799118, -0.7901524999630146, -0.30968679986627135, -2.0346254818318728], [1.0607978400658138, 0.7076390208060754, 0.36732137294554024, 0.687749388505445, 1.7103942914776449]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[('inpaint_V_is_V_T', 'this applies the forward permutation again (what inpaint_V_T does): inpaint_V must undo inpaint_V_T, putting spectral coordinate k back at the pixel it came from.', (torch.tensor([[0.6033017469247647, -0.30968679986627135, -0.7901524999630146, -2.0346254818318728, 0.7442945298799118], [1.0607978400658138, 0.687749388505445, 0.36732137294554024, 1.7103942914776449, 0.7076390208060754]], dtype=torch.float64),))])), ('inpaint_singulars', dict(what='a random mask on (2, 2, 2)', inputs={'mask': torch.tensor([[[True, True], [False, True]], [[False, False], [True, True]]], dtype=torch.bool)}, outputs=[torch.tensor([1.0, 1.0, 1.0, 1.0, 1.0], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[('singulars_float32', "the singular values are float32; the contract asks for float64 (they are parameters of the degradation, kept in float64 like alpha_bar, and cast to the data's dtype where used).", (torch.tensor([1.0, 1.0, 1.0, 1.0, 1.0], dtype=torch.float32),))])), ('inpaint_V_T', dict(what='an empty mask (nothing observed, m = 0)', inputs={'x': torch.tensor([[[[0.6257293982571508, 2.164325358952666], [0.9555405586957074, -1.0802324230246478]]], [[[-0.5936751273756264, 0.8612190556690689], [-0.04393442340863364, 1.1924864710821501]]]], dtype=torch.float64), 'mask': torch.tensor([[[False, False], [False, False]]], dtype=torch.bool)}, outputs=[torch.tensor([[0.6257293982571508, 2.164325358952666, 0.9555405586957074, -1.0802324230246478], [-0.5936751273756264, 0.8612190556690689, -0.04393442340863364, 1.1924864710821501]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[])), ('inpaint_singulars', dict(what='a full mask (m = d)', inputs={'mask': torch.tensor([True, True, True, True], dtype=torch.bool)}, outputs=[torch.tensor([1.0, 1.0, 1.0, 1.0], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[('singulars_float32', "the singular values are float32; the contract asks for float64 (they are parameters of the degradation, kept in float64 like alpha_bar, and cast to the data's dtype where used).", (torch.tensor([1.0, 1.0, 1.0, 1.0], dtype=torch.float32),))])), ('inpaint_V_T', dict(what='float32 data', inputs={'x': torch.tensor([[1.1033480167388916, -1.279784083366394, 0.6481524705886841, -1.199580430984497], [1.071800708770752, -1.5560715198516846, -0.7105309367179871, -0.6066608428955078]], dtype=torch.float32), 'mask': torch.tensor([False, False, False, True], dtype=torch.bool)}, outputs=[torch.tensor([[-1.199580430984497, 1.1033480167388916, -1.279784083366394, 0.6481524705886841], [-0.6066608428955078, 1.071800708770752, -1.5560715198516846, -0.7105309367179871]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('inpaint_V_T_inverse_permutation', "this is the inverse permutation (what inpaint_V does): V^T x must list x's observed entries first, i.e. entry k of the result is x at the k-th index of the observed-then-missing order.", (torch.tensor([[-1.279784083366394, 0.6481524705886841, -1.199580430984497, 1.1033480167388916], [-1.5560715198516846, -0.7105309367179871, -0.6066608428955078, 1.071800708770752]], dtype=torch.float32),)), ('missing_first', 'the missing entries come first: the convention puts the m observed coordinates first (they go with singulars() and with y), then the d - m missing ones.', (torch.tensor([[1.1033480167388916, -1.279784083366394, 0.6481524705886841, -1.199580430984497], [1.071800708770752, -1.5560715198516846, -0.7105309367179871, -0.6066608428955078]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

