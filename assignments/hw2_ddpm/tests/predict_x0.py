from otter.test_files import test_case

OK_FORMAT = False

name = "predict_x0"
points = 2

@test_case(points=None, hidden=False)
def test_predict_x0(predict_x0_from_eps):
    """The public cases of predict_x0: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'predict_x0_from_eps': predict_x0_from_eps}
    cases = [('predict_x0_from_eps', dict(what='points at t = 0, 2, 5', inputs={'x_t': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'eps': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[-0.17016164227607453, -0.3528120041331781], [1.1827481042751944, 0.8989809142656161], [-0.02923925319823352, 0.5921451202620734]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('predict_x0_no_sqrt', 'the noise is scaled by (1/alpha_bar_t - 1) where solving Eq. (4) for x0 gives its square root.', (torch.tensor([[0.060364903722063004, -0.18538309642253087], [1.0158288477354669, 0.598835063370144], [0.4491039848203301, 0.5604287513693498]], dtype=torch.float64),)), ('predict_x0_sign', 'the noise is added; solving Eq. (4) for x0 subtracts it.', (torch.tensor([[0.42815461236547797, 0.08173854424908916], [0.3197161871798859, -0.6528798744557273], [-1.909902897329261, 0.7168418174443569]], dtype=torch.float64),))])), ('predict_x0_from_eps', dict(what='images (B, C, H, W)', inputs={'x_t': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]], [[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]], [[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]], [[0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707]], [[0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]]]], dtype=torch.float64), 't': torch.tensor([3, 5], dtype=torch.int64), 'eps': torch.tensor([[[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356]], [[0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813]], [[-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753]], [[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]], [[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[[[2.75370327204847, 2.680403357951376], [0.5816600498683913, -1.3508308300936427]], [[1.0060779757455713, 0.4010104104956073], [-2.5012333519187884, 1.7056980903598156]], [[0.7985357143204389, -1.3475830142584575], [-0.5114651743511037, 0.15438193986619336]]], [[[-0.5575155048225306, 2.191574873021352], [-1.1252979407366106, 0.9194531347057706]], [[1.923599117520336, 0.5014295668112331], [-1.3065761713735389, 0.959820675609527]], [[0.1629970197604998, -0.6429010334914104], [2.2885896567014754, 2.586029191477738]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('predict_x0_no_sqrt', 'the noise is scaled by (1/alpha_bar_t - 1) where solving Eq. (4) for x0 gives its square root.', (torch.tensor([[[[2.4052272855385124, 2.437601327631885], [0.5591959306332503, -1.4050965634499213]], [[1.0335383197462995, 0.42894362176231854], [-2.229019511855277, 1.5627658480817561]], [[0.7500007119402545, -1.0850178391137635], [-0.42834198777383314, 0.23960798758560692]]], [[[-0.16303203570330704, 3.45641991498847], [-1.2538217818696906, 0.8357883050159547]], [[2.8655526084848426, 1.0257842024339663], [-1.2512849487888673, 1.6848873639805477]], [[0.23841608062021327, -0.7161812066427643], [2.2612783566480146, 2.9745918645478606]]]], dtype=torch.float64),)), ('predict_x0_sign', 'the noise is added; solving Eq. (4) for x0 subtracts it.', (torch.tensor([[[[-1.8472480600879022, -0.5253277916524066], [0.2850648085281722, -2.0673048708889707]], [[1.3686387007367717, 0.7698144330498247], [1.092823853025463, -0.1814456899066193]], [[0.15772489090385616, 2.1190822341949795], [0.5860157162100182, 1.279627044168808]]], [[[-2.1084744389476073, -2.7813146690999244], [-0.6199910894799919, 1.2483914178971902]], [[-1.7798036780481947, -1.5601333893875464], [-1.5239602251029924, -1.8908657186171665]], [[-0.13352203718468067, -0.3547912693558302], [2.395967298951128, 1.058348575072765]]]], dtype=torch.float64),))])), ('predict_x0_from_eps', dict(what='float32 data', inputs={'x_t': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 't': torch.tensor([1, 4, 2], dtype=torch.int64), 'eps': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[0.33847035109837653, -0.8840042583194065], [-0.9453348842474765, -3.0674540955323657], [1.5116785916828448, 1.5325627175402055]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('predict_x0_no_sqrt', 'the noise is scaled by (1/alpha_bar_t - 1) where solving Eq. (4) for x0 gives its square root.', (torch.tensor([[0.25964537262916565, -0.6965702772140503], [-0.9892247915267944, -2.981016159057617], [1.743548035621643, 1.4589016437530518]], dtype=torch.float32),)), ('predict_x0_sign', 'the noise is added; solving Eq. (4) for x0 subtracts it.', (torch.tensor([[0.07044310867786407, -0.2466757446527481], [-0.3057267963886261, -4.327113151550293], [2.710526704788208, 1.151708960533142]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

