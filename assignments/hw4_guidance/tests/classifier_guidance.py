from otter.test_files import test_case

OK_FORMAT = False

name = "classifier_guidance"
points = 2

@test_case(points=None, hidden=False)
def test_classifier_guidance(classifier_guided_eps):
    """The public cases of classifier_guidance: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'classifier_guided_eps': classifier_guided_eps}
    cases = [('classifier_guided_eps', dict(what='scale 2, points', inputs={'eps_pred': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'grad_log_p_y': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'alpha_bar_t': torch.tensor([0.8431081055240666, 0.052242152293245775, 0.7204692285727463], dtype=torch.float64), 'scale': 2.0}, outputs=[torch.tensor([[-0.9072876995706594, -0.8823744747732861], [2.010635345100277, 2.5687479898981396], [0.1233893916340979, 0.317896410829527]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('guidance_sign_flipped', 'the guidance term has the wrong sign, so it steers away from class y: a noise prediction points against the score (your Question 2(b)).', (torch.tensor([[1.158748141757446, 0.6181647481906823], [-0.7297900442137127, -2.3589477555920597], [-1.1947281379563197, 0.40529369898944245]], dtype=torch.float64),)), ('guided_missing_noise_factor', "the classifier's gradient (a score) is combined with a noise prediction without converting it: the factor between scores and noise predictions is missing (your Question 2(b)).", (torch.tensor([[-2.482269869166881, -2.026266789549786], [2.047893122057267, 2.6357430592451445], [0.7108795519135934, 0.2789430962149975]], dtype=torch.float64),)), ('guided_variance_not_std', "the gradient is scaled by the noise variance 1 - alpha_bar_t; scores and noise predictions are related through the noise's standard deviation.", (torch.tensor([[-0.2834438538609466, -0.42928351634617884], [1.974363835330963, 2.503526376834083], [-0.18722059051316498, 0.3384912891356412]], dtype=torch.float64),)), ('guided_sqrt_alpha_bar', "the gradient is scaled by sqrt(alpha_bar_t), the coefficient of the signal in x_t; scores and noise predictions are related through the noise's coefficient.", (torch.tensor([[-2.268959413574222, -1.8713417399052736], [0.9621217332304597, 0.683363303109475], [0.5224070735815215, 0.29143969316422397]], dtype=torch.float64),)), ('guided_divides_by_noise_factor', "the gradient is converted the wrong way: dividing by the noise's standard deviation turns a noise prediction into a score, and here a score has to become a noise prediction.", (torch.tensor([[-6.458535486925788, -4.914184995525745], [2.086163984025942, 2.704559807343691], [1.8220630561887114, 0.20526649094911226]], dtype=torch.float64),))])), ('classifier_guided_eps', dict(what='scale 0: the unguided prediction', inputs={'eps_pred': torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 'grad_log_p_y': torch.tensor([[-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]], dtype=torch.float64), 'alpha_bar_t': torch.tensor([0.3365424478391285, 0.7768915552912682, 0.3110670361199792], dtype=torch.float64), 'scale': 0.0}, outputs=[torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('classifier_guided_eps', dict(what='images (B, C, H, W), scale 1', inputs={'eps_pred': torch.tensor([[[[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556]]], [[[1.799707382720902, 1.1441658720372287], [-0.32542283686782436, 0.7738065867276614]]]], dtype=torch.float64), 'grad_log_p_y': torch.tensor([[[[0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]]], [[[-0.3288239040579627, -0.7921467553588982], [0.45495807124085547, -0.09919805171738795]]]], dtype=torch.float64), 'alpha_bar_t': torch.tensor([0.9487385143939295, 0.6757422294172403], dtype=torch.float64), 'scale': 1.0}, outputs=[torch.tensor([[[[0.12538447559342958, -0.3973574161361856], [-0.6343945846173359, -2.371154276621163]]], [[[1.9869516704483716, 1.595243038728423], [-0.5844925059036282, 0.8302935644338225]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('guidance_sign_flipped', 'the guidance term has the wrong sign, so it steers away from class y: a noise prediction points against the score (your Question 2(b)).', (torch.tensor([[[[0.25272228799363655, -0.6481394668253092], [-0.19173250216645096, -2.511780488658548]]], [[[1.6124630949934324, 0.6930887053460344], [-0.0663531678320205, 0.7173196090215004]]]], dtype=torch.float64),)), ('guided_missing_noise_factor', "the classifier's gradient (a score) is combined with a noise prediction without converting it: the factor between scores and noise predictions is missing (your Question 2(b)).", (torch.tensor([[[[-0.09215728800411618, 0.031074394943304995], [-1.3906309945179292, -2.130910835980703]]], [[[2.128531286778865, 1.936312627396127], [-0.7803809081086799, 0.8730046384450494]]]], dtype=torch.float64),)), ('guided_variance_not_std', "the gradient is scaled by the noise variance 1 - alpha_bar_t; scores and noise predictions are related through the noise's standard deviation.", (torch.tensor([[[[0.17463810509142744, -0.4943586601230827], [-0.4631751032167537, -2.4255477926934166]]], [[[1.9063310887650562, 1.401025612904272], [-0.47294652675701654, 0.8059723258236949]]]], dtype=torch.float64),)), ('guided_sqrt_alpha_bar', "the gradient is scaled by sqrt(alpha_bar_t), the coefficient of the signal in x_t; scores and noise predictions are related through the noise's coefficient.", (torch.tensor([[[[-0.08485483493485382, 0.016692773952243223], [-1.3652456119539493, -2.1389753401083826]]], [[[2.070012278335748, 1.7953385616637783], [-0.6994144854014224, 0.8553508986945254]]]], dtype=torch.float64),)), ('guided_divides_by_noise_factor', "the gradient is converted the wrong way: dividing by the noise's standard deviation turns a noise prediction into a score, and here a score has to become a noise prediction.", (torch.tensor([[[[-1.0529883859652165, 1.9233575162777763], [-4.730750372180017, -1.0698117392777386]]], [[[2.37716243457965, 2.535272601354813], [-1.1243849359724996, 0.9480105159184471]]]], dtype=torch.float64),))])), ('classifier_guided_eps', dict(what='float32 data (alpha_bar_t float64), scale 3', inputs={'eps_pred': torch.tensor([[2.040919065475464, -2.5556650161743164], [0.4180988371372223, -0.5677695870399475], [-0.4526492953300476, -0.21559716761112213]], dtype=torch.float32), 'grad_log_p_y': torch.tensor([[-2.019986152648926, -0.2319323718547821], [-0.8652130961418152, 3.3229994773864746], [0.22578661143779755, -0.3526307940483093]], dtype=torch.float32), 'alpha_bar_t': torch.tensor([0.4334028995976107, 0.5833266285806151, 0.7283242758004738], dtype=torch.float64), 'scale': 3.0}, outputs=[torch.tensor([[6.602410049958427, -2.031920127211599], [2.0935902736203533, -7.002782178303795], [-0.8057063202435579, 0.3358030161587793]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('guidance_sign_flipped', 'the guidance term has the wrong sign, so it steers away from class y: a noise prediction points against the score (your Question 2(b)).', (torch.tensor([[-2.52057147026062, -3.0794098377227783], [-1.2573926448822021, 5.867242813110352], [-0.09959232807159424, -0.7669972777366638]], dtype=torch.float32),)), ('guided_missing_noise_factor', "the classifier's gradient (a score) is combined with a noise prediction without converting it: the factor between scores and noise predictions is missing (your Question 2(b)).", (torch.tensor([[8.10087776184082, -1.8598679304122925], [3.0137381553649902, -10.536767959594727], [-1.1300091743469238, 0.8422951698303223]], dtype=torch.float32),)), ('guided_variance_not_std', "the gradient is scaled by the noise variance 1 - alpha_bar_t; scores and noise predictions are related through the noise's standard deviation.", (torch.tensor([[5.47447395324707, -2.161428451538086], [1.499632477760315, -4.721585273742676], [-0.6366715431213379, 0.07180650532245636]], dtype=torch.float32),)), ('guided_sqrt_alpha_bar', "the gradient is scaled by sqrt(alpha_bar_t), the coefficient of the signal in x_t; scores and noise predictions are related through the noise's coefficient.", (torch.tensor([[6.030392169952393, -2.0975985527038574], [2.4005398750305176, -8.18167495727539], [-1.0307211875915527, 0.6872284412384033]], dtype=torch.float32),)), ('guided_divides_by_noise_factor', "the gradient is converted the wrong way: dividing by the noise's standard deviation turns a noise prediction into a score, and here a score has to become a noise prediction.", (torch.tensor([[10.091597557067871, -1.631295919418335], [4.439213752746582, -16.011552810668945], [-1.7522025108337402, 1.8140294551849365]], dtype=torch.float32),)), ('guided_float64_for_float32', "float32 inputs give a float64 result; cast the (float64) alpha_bar_t to the data's dtype so results keep the dtype of the data.", (torch.tensor([[6.602410049958427, -2.031920127211599], [2.0935902736203533, -7.002782178303795], [-0.8057063202435579, 0.3358030161587793]], dtype=torch.float64),))]))]
    depends = []
    run_cases(functions, cases, depends)

