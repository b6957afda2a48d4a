from otter.test_files import test_case

OK_FORMAT = False

name = "ddpm_step"
points = 5

@test_case(points=None, hidden=False)
def test_ddpm_step(ddpm_step, predict_x0_from_eps, q_posterior_mean_variance):
    """The public cases of ddpm_step: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'ddpm_step': ddpm_step, 'predict_x0_from_eps': predict_x0_from_eps, 'q_posterior_mean_variance': q_posterior_mean_variance}
    cases = [('ddpm_step', dict(what="variance = 'small', with t = 0 (no noise there)", inputs={'x_t': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'eps_pred': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64), 'noise': torch.tensor([[-2.3250307746388343, -0.21879166393254573], [-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454]], dtype=torch.float64), 'variance': 'small'}, outputs=[torch.tensor([[-0.1701616422760744, -0.3528120041331778], [0.5621605487475716, 0.3010409277321463], [-0.6407014929314234, 0.2583259480396236]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('variance_not_sqrt', 'the noise is scaled by the variance sigma_t^2; x_{t-1} = mean + sigma_t z needs its square root, the standard deviation.', (torch.tensor([[-0.1701616422760744, -0.3528120041331778], [0.8144983083859175, 0.44934904248911156], [-0.5046599451662872, 0.33738750547118124]], dtype=torch.float64),)), ('always_large', 'with variance="small" the step used beta_t; "small" is the posterior variance of Eq. (7), "large" is beta_t.', (torch.tensor([[-0.1701616422760744, -0.3528120041331778], [0.4311303931097652, 0.2240297210589704], [-0.6702281885485317, 0.24116628924680894]], dtype=torch.float64),))])), ('ddpm_step', dict(what="variance = 'large', with t = 0 (no noise there)", inputs={'x_t': torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 't': torch.tensor([4, 0, 1], dtype=torch.int64), 'eps_pred': torch.tensor([[-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]], dtype=torch.float64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64), 'noise': torch.tensor([[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276], [0.03972210748165899, -0.2924567509650886]], dtype=torch.float64), 'variance': 'large'}, outputs=[torch.tensor([[0.23722674063450833, 0.6438832088416765], [0.25538264307049, -1.4044897315647007], [0.9590223149760361, 0.226697026685403]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('noise_at_t0', "noise is added at index 0 too; the last reverse step (the paper's t = 1) returns the mean, z = 0.", (torch.tensor([[0.23722674063450833, 0.6438832088416765], [0.14757748742869925, -1.2705836476127685], [0.9590223149760361, 0.226697026685403]], dtype=torch.float64),)), ('variance_not_sqrt', 'the noise is scaled by the variance sigma_t^2; x_{t-1} = mean + sigma_t z needs its square root, the standard deviation.', (torch.tensor([[0.42134026238492506, 0.6846106958399396], [0.25538264307049, -1.4044897315647007], [0.9504332924137963, 0.2899342966031268]], dtype=torch.float64),)), ('always_small', 'with variance="large" the step used the posterior variance; "large" is sigma_t^2 = beta_t (Ho et al. Sec. 3.2), "small" is the posterior variance of Eq. (7).', (torch.tensor([[0.28820863331941693, 0.655160839901747], [0.25538264307049, -1.4044897315647007], [0.9538372918475423, 0.2648721164270117]], dtype=torch.float64),))])), ('ddpm_step', dict(what="images (B, C, H, W), variance = 'small'", inputs={'x_t': torch.tensor([[[[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556]], [[1.799707382720902, 1.1441658720372287], [-0.32542283686782436, 0.7738065867276614]], [[0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]]], [[[-0.3288239040579627, -0.7921467553588982], [0.45495807124085547, -0.09919805171738795]], [[0.5452887139646817, -0.6071856998706371], [0.12682784711186987, -0.8922740434297903]], [[0.8414649723701431, 0.18803508698068597], [0.33057100813532614, 0.41050391297026284]]]], dtype=torch.float64), 't': torch.tensor([3, 1], dtype=torch.int64), 'eps_pred': torch.tensor([[[[-1.0107575001533344, 0.7831809961440773], [2.0567028183423686, -1.6384425032355252]], [[-1.7294114671544816, -1.50483141386432], [0.8414588934539998, 0.12871565747406846]], [[1.078342440739298, 0.722430872307499], [0.21057181237528058, 0.28403814525037085]]], [[[-0.16976049772313542, 0.8684602112115102], [-1.1297159617807548, -0.4218588261783162]], [[0.2429388530987352, 1.8014208584493328], [-0.7644641157203993, -1.0790604591369424]], [[-0.5632871985040379, 0.9692722011381628], [-0.23500550689182578, 1.324347019236957]]]], dtype=torch.float64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64), 'noise': torch.tensor([[[[-1.872529517606024, 1.128523141900478], [1.0348662399295387, -1.4186656898014849]], [[0.15358188653595775, 1.2157576351945363], [0.08791904230952238, 0.99970142215178]], [[2.3748869133171437, 0.2739322545923299], [-0.2803823139429379, -0.7710521598195307]]], [[[0.6480646015444852, -0.19673006635772372], [-0.17874637079406783, -0.1052597784150319]], [[0.6498696525854939, -1.0663396121649127], [-1.5298764906705564, -2.4338766971489387]], [[1.1986708993900783, 0.07379335958326627], [1.5101194131223459, -0.00895629811039896]]]], dtype=torch.float64), 'variance': 'small'}, outputs=[torch.tensor([[[[-0.11589249622553122, -0.4473639029278869], [-0.7987137958530011, -2.67597897115197]], [[2.6653273192339784, 2.2385810872246203], [-0.6228826290840086, 1.1818717430867056]], [[0.7998189315337161, -0.7698935726050478], [0.918869518019722, -0.7239777844191279]]], [[[-0.17927544665414402, -1.1119335021304624], [0.7591015610419326, -0.007331948940216222]], [[0.6282126256430137, -1.336710418345626], [0.0612149879687337, -1.0937953357196162]], [[1.265497744989456, -0.05640278234938245], [0.6939283901097226, 0.06444252930808632]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('variance_not_sqrt', 'the noise is scaled by the variance sigma_t^2; x_{t-1} = mean + sigma_t z needs its square root, the standard deviation.', (torch.tensor([[[[0.3162286280275031, -0.7077916741531218], [-1.0375284894774728, -2.3485953934554367]], [[2.629885433351364, 1.9580223290315188], [-0.6431715885096588, 0.9511719872773157]], [[0.2517694651261373, -0.8331085514401697], [0.9835729683966155, -0.546043112080869]]], [[[-0.2772709667728517, -1.0821854413202165], [0.7861302608560415, 0.008584653677451853]], [[0.5299441591001642, -1.1754664549070386], [0.2925515585256635, -0.725762562021606]], [[1.0842436262535373, -0.06756126660609835], [0.46557933821335284, 0.06579683424863553]]]], dtype=torch.float64),)), ('always_large', 'with variance="small" the step used beta_t; "small" is the posterior variance of Eq. (7), "large" is beta_t.', (torch.tensor([[[[-0.2767253839304701, -0.35043425025904584], [-0.7098284008879009, -2.797829172942326]], [[2.678518576342881, 2.343003372363094], [-0.6153312002141603, 1.267736806924505]], [[1.0037996520778656, -0.7463653370673058], [0.8947872823119039, -0.7902040010255551]]], [[[-0.09468200081751882, -1.137613155321218], [0.7357693632946323, -0.02107176337060824]], [[0.7130416891743965, -1.475902316823248], [-0.13848350465350573, -1.4114951700611467]], [[1.4219631676677427, -0.04677035596452436], [0.8910479434325753, 0.06327344197127906]]]], dtype=torch.float64),))])), ('ddpm_step', dict(what="float32 data, variance = 'large'", inputs={'x_t': torch.tensor([[2.040919065475464, -2.5556650161743164], [0.4180988371372223, -0.5677695870399475], [-0.4526492953300476, -0.21559716761112213]], dtype=torch.float32), 't': torch.tensor([5, 2, 0], dtype=torch.int64), 'eps_pred': torch.tensor([[-2.019986152648926, -0.2319323718547821], [-0.8652130961418152, 3.3229994773864746], [0.22578661143779755, -0.3526307940483093]], dtype=torch.float32), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64), 'noise': torch.tensor([[-0.28128743171691895, -0.6680463552474976], [-1.0551505088806152, -0.39080098271369934], [0.4819453954696655, -0.23855361342430115]], dtype=torch.float32), 'variance': 'large'}, outputs=[torch.tensor([[3.154261137640934, -3.320734632213804], [0.31412665898993924, -1.8014545227236964], [-0.5162073792563778, -0.1402989743379339]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('noise_at_t0', "noise is added at index 0 too; the last reverse step (the paper's t = 1) returns the mean, z = 0.", (torch.tensor([[3.1542611122131348, -3.320734739303589], [0.314126580953598, -1.8014541864395142], [-0.40844112634658813, -0.19364117085933685]], dtype=torch.float32),)), ('variance_not_sqrt', 'the noise is scaled by the variance sigma_t^2; x_{t-1} = mean + sigma_t z needs its square root, the standard deviation.', (torch.tensor([[3.223942279815674, -3.1552445888519287], [0.5645120739936829, -1.708717703819275], [-0.5162073969841003, -0.1402989625930786]], dtype=torch.float32),)), ('always_small', 'with variance="large" the step used the posterior variance; "large" is sigma_t^2 = beta_t (Ho et al. Sec. 3.2), "small" is the posterior variance of Eq. (7).', (torch.tensor([[3.1695213317871094, -3.2844924926757812], [0.4250948429107666, -1.7603543996810913], [-0.5162073969841003, -0.1402989625930786]], dtype=torch.float32),))]))]
    depends = [('predict_x0_from_eps', dict(what='points at t = 0, 2, 5', inputs={'x_t': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'eps': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[-0.17016164227607453, -0.3528120041331781], [1.1827481042751944, 0.8989809142656161], [-0.02923925319823352, 0.5921451202620734]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('predict_x0_from_eps', dict(what='images (B, C, H, W)', inputs={'x_t': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]], [[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]], [[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]], [[0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707]], [[0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]]]], dtype=torch.float64), 't': torch.tensor([3, 5], dtype=torch.int64), 'eps': torch.tensor([[[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356]], [[0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813]], [[-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753]], [[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]], [[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[[[2.75370327204847, 2.680403357951376], [0.5816600498683913, -1.3508308300936427]], [[1.0060779757455713, 0.4010104104956073], [-2.5012333519187884, 1.7056980903598156]], [[0.7985357143204389, -1.3475830142584575], [-0.5114651743511037, 0.15438193986619336]]], [[[-0.5575155048225306, 2.191574873021352], [-1.1252979407366106, 0.9194531347057706]], [[1.923599117520336, 0.5014295668112331], [-1.3065761713735389, 0.959820675609527]], [[0.1629970197604998, -0.6429010334914104], [2.2885896567014754, 2.586029191477738]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('predict_x0_from_eps', dict(what='float32 data', inputs={'x_t': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 't': torch.tensor([1, 4, 2], dtype=torch.int64), 'eps': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 'alpha_bar': torch.tensor([0.95, 0.855, 0.72675, 0.5814, 0.43605000000000005, 0.30523500000000003], dtype=torch.float64)}, outputs=[torch.tensor([[0.33847035109837653, -0.8840042583194065], [-0.9453348842474765, -3.0674540955323657], [1.5116785916828448, 1.5325627175402055]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[])), ('q_posterior_mean_variance', dict(what='points at t = 0 (the point mass at x0), 2 and 5', inputs={'x0': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'x_t': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[0.12573022109339319, -0.13210486329130178], [-0.019218782339245122, -0.5658417693998747], [-0.5760216071163988, 0.13116926185959524]], dtype=torch.float64), torch.tensor([[0.0], [0.0795974382433669], [0.24351399394039708]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), broadcast=(1,), known=[])), ('q_posterior_mean_variance', dict(what='images (B, C, H, W)', inputs={'x0': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]], [[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]], [[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]], [[0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707]], [[0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]]]], dtype=torch.float64), 'x_t': torch.tensor([[[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356]], [[0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813]], [[-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753]], [[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]], [[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 't': torch.tensor([3, 1], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[[[-1.4421698619332426, -0.7682602928709044], [0.032547993796316566, -0.7772853097025294]], [[0.4934957871848683, 0.3086968511471917], [1.0178078868180045, -0.41256603778663437]], [[-0.07197367298443993, 1.3124876043248264], [0.3891582075679864, 0.6098144534194097]]], [[[-0.663187091721138, -0.6486452898223681], [-0.26929398352209083, 0.4382020759006913]], [[-0.3748054317850314, -0.42009271865364584], [-0.5491609763789341, -0.4819414003042848]], [[-0.02667415358456506, -0.15402269460323964], [0.8815016697705786, 0.5110884594674999]]]], dtype=torch.float64), torch.tensor([[[[0.13055422838031533]]], [[[0.03448275862068968]]]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), broadcast=(1,), known=[])), ('q_posterior_mean_variance', dict(what='float32 data', inputs={'x0': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 'x_t': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 't': torch.tensor([4, 0, 1], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[-0.14528521885174772, 0.3207209866045204], [-0.4130635559558865, -2.4414672851562482], [1.5295439669552886, 0.6675069209780122]], dtype=torch.float64), torch.tensor([[0.18556609628513165], [0.0], [0.03448275862068968]], dtype=torch.float64)], dtypes=['float32', 'float32'], tol=(0.0001, 1e-05), broadcast=(1,), known=[]))]
    run_cases(functions, cases, depends)

