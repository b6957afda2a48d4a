from otter.test_files import test_case

OK_FORMAT = False

name = "q_sample"
points = 3

@test_case(points=None, hidden=False)
def test_q_sample(q_sample):
    """The public cases of q_sample: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'q_sample': q_sample}
    cases = [('q_sample', dict(what='points, one step per sample (t = 0, 2, 5)', inputs={'x0': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'noise': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[0.4141299351498448, 0.0830138479303536], [0.1780921890523826, -0.5720508515258116], [-0.8154622752303338, 0.2342205775344458]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('missing_sqrt', 'x0 is scaled by alpha_bar_t; the forward marginal has mean sqrt(alpha_bar_t) x0 (Ho Eq. (4)).', (torch.tensor([[0.4110269843961018, 0.08627412124855904], [0.09756138835454792, -0.5852416567257585], [-0.6830202891890356, 0.14481773015433122]], dtype=torch.float64),)), ('swapped_coefficients', 'the two coefficients are swapped: x0 gets sqrt(alpha_bar_t) and the noise sqrt(1 - alpha_bar_t).', (torch.tensor([[1.299096158669596, 0.8935607921026656], [-0.26516152643560537, -1.0239323913329246], [-0.7908413137863743, 0.32423056002809986]], dtype=torch.float64),)), ('step_off_by_one', "alpha_bar is read one step early; index t uses alpha_bar[t] (index t is the paper's step t + 1).", (torch.tensor([[0.4141299351498448, 0.0830138479303536], [0.3242001590062766, -0.38486097767507094], [-0.8217823114797282, 0.26981038270731994]], dtype=torch.float64),))])), ('q_sample', dict(what='images (B, C, H, W)', inputs={'x0': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]], [[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]], [[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]], [[0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707]], [[0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]]]], dtype=torch.float64), 't': torch.tensor([1, 4], dtype=torch.int64), 'noise': torch.tensor([[[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356]], [[0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813]], [[-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753]], [[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]], [[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[[[-0.7128313097314842, 0.04040434457072284], [0.23899141101228605, -1.3657454220876715]], [[0.9185010870587857, 0.49549937554730256], [0.309948665214538, 0.11389299594931024]], [[0.19331857472594272, 1.0498374256548562], [0.2725381336522109, 0.7580117884831418]]], [[[-0.8723120283036621, -1.3452245809266672], [-0.19260272623619, 0.4773084780854828]], [[-0.8954695883216247, -0.7062011547640223], [-0.5704284332475955, -0.8793109247586216]], [[-0.06842079488268735, -0.1102873373245006], [0.8812472174250976, 0.28457331697161015]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('missing_sqrt', 'x0 is scaled by alpha_bar_t; the forward marginal has mean sqrt(alpha_bar_t) x0 (Ho Eq. (4)).', (torch.tensor([[[[-0.7369054304314253, -0.01683130106957398], [0.21597247022033234, -1.274964752123569]], [[0.8554320957358194, 0.4644039852510322], [0.34735395543065994, 0.07341108820417452]], [[0.1679216958432277, 1.0293475381285984], [0.270558180622788, 0.7199266134949701]]], [[[-0.7071321364337537, -1.3086853749273066], [-0.08446778973105373, 0.34299276934603495]], [[-0.9043788924241769, -0.6406057899562652], [-0.39505354220706673, -0.8216250659318128]], [[-0.07024701123662308, -0.048472135399659416], [0.5910005819487258, 0.05877429367874032]]]], dtype=torch.float64),)), ('swapped_coefficients', 'the two coefficients are swapped: x0 gets sqrt(alpha_bar_t) and the noise sqrt(1 - alpha_bar_t).', (torch.tensor([[[[-2.3753146526623494, -1.4338360877572525], [-0.03577843984006632, -0.8866109626143043]], [[0.5422968258447677, 0.37092372637972937], [1.7538195312018863, -0.8069602727064207]], [[-0.2103320065280162, 2.000875803193463], [0.6088046178833596, 0.8212916736332896]]], [[[-0.8924714022018764, -1.210631150798504], [-0.2514714265189689, 0.5216996238318699]], [[-0.7806407093334731, -0.6707875442930229], [-0.6347600877669137, -0.8170007021146464]], [[-0.058777170162674724, -0.14391708288735225], [0.995297029032899, 0.4216907276094117]]]], dtype=torch.float64),)), ('step_off_by_one', "alpha_bar is read one step early; index t uses alpha_bar[t] (index t is the paper's step t + 1).", (torch.tensor([[[[-0.2694005552142321, 0.3784181046288281], [0.2829899947054253, -1.3645651995131631]], [[0.9302037706652874, 0.48366677683520376], [-0.049794133615883085, 0.31774846338760165]], [[0.2709061704839635, 0.7434625131885993], [0.17230976016837224, 0.6811353820171395]]], [[[-0.8941017705331011, -1.1905113405054346], [-0.25926547525555965, 0.5271491394436595]], [[-0.76380029843986, -0.6650399721980274], [-0.6428137576998265, -0.8073557585720388]], [[-0.05737160643606262, -0.14836923109989086], [1.009742402789122, 0.440055982928294]]]], dtype=torch.float64),))])), ('q_sample', dict(what='float32 data: a float32 x_t', inputs={'x0': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 't': torch.tensor([5, 0, 3], dtype=torch.int64), 'noise': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[-0.16679990831791586, 0.3561791447793751], [-0.33972393773904475, -2.503486499076254], [2.0047488571362706, 0.6714938545270867]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('missing_sqrt', 'x0 is scaled by alpha_bar_t; the forward marginal has mean sqrt(alpha_bar_t) x0 (Ho Eq. (4)).', (torch.tensor([[-0.21354256570339203, 0.48542651534080505], [-0.3295297622680664, -2.443232536315918], [1.6788291931152344, 0.4642900824546814]], dtype=torch.float32),)), ('swapped_coefficients', 'the two coefficients are swapped: x0 gets sqrt(alpha_bar_t) and the noise sqrt(1 - alpha_bar_t).', (torch.tensor([[-0.022208988666534424, -0.008211016654968262], [0.18172642588615417, -1.0857285261154175], [1.9097893238067627, 0.5034692287445068]], dtype=torch.float32),)), ('step_off_by_one', "alpha_bar is read one step early; index t uses alpha_bar[t] (index t is the paper's step t + 1).", (torch.tensor([[-0.11954183131456375, 0.2359103262424469], [-0.33972394466400146, -2.5034866333007812], [2.04525089263916, 0.8130590915679932]], dtype=torch.float32),)), ('float64_for_float32', "float32 data gives a float64 x_t; cast the (float64) schedule to x0.dtype so results keep the data's dtype.", (torch.tensor([[-0.16679990831791586, 0.3561791447793751], [-0.33972393773904475, -2.503486499076254], [2.0047488571362706, 0.6714938545270867]], dtype=torch.float64),))]))]
    depends = []
    run_cases(functions, cases, depends)

