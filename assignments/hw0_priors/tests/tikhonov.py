from otter.test_files import test_case

OK_FORMAT = False

name = "tikhonov"
points = 2

@test_case(points=None, hidden=False)
def test_tikhonov(tikhonov):
    """The public cases of tikhonov: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'tikhonov': tikhonov}
    cases = [('tikhonov', dict(what='ridge (D = None), 3 measurements of 4 unknowns', inputs={'y': torch.tensor([[-0.6615861100167054, -0.1489788645933131, 0.38686221885475636], [0.22713226547654342, -0.7254454450729044, -0.6838906635029195]], dtype=torch.float64), 'H': torch.tensor([[0.172792096032393, 0.4108090717505792, 0.16521853809169357, -0.6515786158021805], [0.45267793333655887, 0.22318728618200565, -0.2684766176801426, 0.29055905209817656], [0.18228619809303787, 0.147066248327763, 0.014211120657898394, 0.27335649330622347]], dtype=torch.float64), 'lam': 0.5}, outputs=[torch.tensor([[-0.1295547192826672, -0.20512049351143968, 0.009175173284788826, 0.43439897669367344], [-0.4179170134625755, -0.22466349448416156, 0.16553858920155884, -0.48300058668503065]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('lam_squared', 'lam enters squared; the normal equations of ||y - H x||^2 + lam ||D x||^2 add lam D^T D, not lam**2 D^T D.', (torch.tensor([[-0.18542656664375412, -0.24117220810341317, 0.07642368956713025, 0.5768998946386376], [-0.5561395580161892, -0.33422395427245294, 0.17150876868156562, -0.6365040759640167]], dtype=torch.float64),))])), ('tikhonov', dict(what='a regularization matrix D', inputs={'y': torch.tensor([[0.1327347322657878, -0.32672899656404886, 0.03418809650499016, -0.3671087503601855], [0.06857388831767476, 0.4284700328033605, -0.1395587183003975, 0.6833015039871325]], dtype=torch.float64), 'H': torch.tensor([[0.10915002086970542, -0.30180895340736685, -0.23848234796973036], [-1.409581850584812, 1.0390615418764697, 0.660584474218277], [-0.1878829624660901, 0.4467574411479209, 0.16235705590666777], [-0.3197497636927888, 0.5643988310586331, -0.17929990581226232]], dtype=torch.float64), 'lam': 0.2, 'D': torch.tensor([[2.0567028183423686, -1.6384425032355252, -1.7294114671544816], [-1.50483141386432, 0.8414588934539998, 0.12871565747406846], [1.078342440739298, 0.722430872307499, 0.21057181237528058], [0.28403814525037085, -0.16976049772313542, 0.8684602112115102]], dtype=torch.float64)}, outputs=[torch.tensor([[0.04875161348383554, -0.30217215988766, 0.2283103620104766], [-0.12798925503111303, 0.4374676121967692, -0.5015156374978331]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('ridge_ignores_D', 'D is ignored: the penalty lam ||D x||^2 adds lam D^T D to H^T H (the identity only when D is None).', (torch.tensor([[0.13684120118933926, -0.2397039138785065, 0.1677529768672722], [-0.3215644990405915, 0.2995704344811508, -0.5271035968276768]], dtype=torch.float64),)), ('lam_squared', 'lam enters squared; the normal equations of ||y - H x||^2 + lam ||D x||^2 add lam D^T D, not lam**2 D^T D.', (torch.tensor([[0.11993378528793674, -0.34210990233531074, 0.3425410247522953], [-0.39891810692419, 0.4188974236517712, -0.9331771406513895]], dtype=torch.float64),))])), ('tikhonov', dict(what='lam = 0 with more measurements than unknowns: least squares', inputs={'y': torch.tensor([[-7.3381022469432615, -1.7903029954904006, -0.5462072127907356, 0.5736081472778873], [1.1076760677851538, 0.13675759533331033, 0.26881841788912136, -0.3246102319582439]], dtype=torch.float64), 'H': torch.tensor([[1.443147750584753, -1.807128074083588], [0.29564052972607313, -0.4014737386446743], [-0.32007138395058665, -0.1524502160253555], [-1.428345889822786, -0.16400095700892559]], dtype=torch.float64), 'lam': 0.0}, outputs=[torch.tensor([[-0.7500503128871363, 3.490341804931527], [0.22341354753451742, -0.43095074954686635]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('tikhonov', dict(what='float32 inputs', inputs={'y': torch.tensor([[2.074563503265381, -0.7104798555374146, -1.199237585067749], [-1.7038443088531494, -0.6230315566062927, 1.1192876100540161]], dtype=torch.float32), 'H': torch.tensor([[-0.3763118088245392, -0.10087307542562485, 0.9605515003204346], [0.38055911660194397, -0.9476611614227295, -0.003004105994477868], [-0.3599569499492645, 0.08581244945526123, -0.9284876585006714]], dtype=torch.float32), 'lam': 0.3, 'D': torch.tensor([[-0.6720146536827087, 0.38018909096717834, -0.11005869507789612], [1.4825711250305176, -1.8296040296554565, -0.0030809645541012287], [-0.8920558094978333, 0.7758718729019165, -2.1180601119995117], [-0.3436943590641022, 0.21017292141914368, -1.4842685461044312]], dtype=torch.float32)}, outputs=[torch.tensor([[-1.1587100396584336, -0.2732873942095311, 0.9809655446637863], [1.5186291517741788, 1.1660769481668294, -0.7526588046974022]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('ridge_ignores_D', 'D is ignored: the penalty lam ||D x||^2 adds lam D^T D to H^T H (the identity only when D is None).', (torch.tensor([[-0.6445794105529785, 0.3252829313278198, 1.5093090534210205], [0.2509058713912964, 0.6034558415412903, -1.2289413213729858]], dtype=torch.float32),)), ('lam_squared', 'lam enters squared; the normal equations of ||y - H x||^2 + lam ||D x||^2 add lam D^T D, not lam**2 D^T D.', (torch.tensor([[-1.1775537729263306, 0.034306496381759644, 1.4023610353469849], [1.2671382427215576, 1.0522716045379639, -1.0671316385269165]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

