from otter.test_files import test_case

OK_FORMAT = False

name = "q_posterior"
points = 5

@test_case(points=None, hidden=False)
def test_q_posterior(q_posterior_mean_variance):
    """The public cases of q_posterior: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'q_posterior_mean_variance': q_posterior_mean_variance}
    cases = [('q_posterior_mean_variance', dict(what='points at t = 0 (the point mass at x0), 2 and 5', inputs={'x0': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'x_t': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 't': torch.tensor([0, 2, 5], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[0.12573022109339319, -0.13210486329130178], [-0.019218782339245122, -0.5658417693998747], [-0.5760216071163988, 0.13116926185959524]], dtype=torch.float64), torch.tensor([[0.0], [0.0795974382433669], [0.24351399394039708]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), broadcast=(1,), known=[('posterior_var_beta', 'the posterior variance is beta_t, the variance of the forward step; q(x_{t-1} | x_t, x0) also knows x0, so it is narrower (your derivation of Eq. (6)-(7)), and it is 0 at index 0.', (torch.tensor([[0.12573022109339319, -0.13210486329130178], [-0.019218782339245122, -0.5658417693998747], [-0.5760216071163988, 0.13116926185959524]], dtype=torch.float64), torch.tensor([[0.05], [0.15000000000000002], [0.3]], dtype=torch.float64))), ('alpha_for_alpha_bar', 'a per-step alpha_t is used where the cumulative alpha_bar_t belongs (1 - alpha_bar_t is the variance of q(x_t | x0), Eq. (4)).', (torch.tensor([[0.12573022109339319, -0.13210486329130178], [-0.035010215161324854, -1.0307750899234385], [-1.3339988395607492, 0.30377270738627227]], dtype=torch.float64), torch.tensor([[0.0], [0.14500000000000002], [0.5639499999999998]], dtype=torch.float64))), ('prev_wraps_around', 'alpha_bar_{t-1} at index 0 wraps around to alpha_bar_{T-1}; before step 0 alpha_bar is 1 (prepend a 1), so the posterior at index 0 is the point mass at x0.', (torch.tensor([[17.730140082750374, 12.753770723918421], [-0.019218782339245122, -0.5658417693998747], [-0.5760216071163988, 0.13116926185959524]], dtype=torch.float64), torch.tensor([[0.6947649999999994], [0.0795974382433669], [0.24351399394039708]], dtype=torch.float64))), ('alpha_not_sqrt', 'the coefficient of x_t has alpha_t where your derivation has its square root (the forward step of Eq. (2) scales x_{t-1} by sqrt(alpha_t)).', (torch.tensor([[0.12573022109339319, -0.13210486329130178], [0.007651656565552889, -0.5175246913334751], [-0.5068825420330841, 0.12658502209451813]], dtype=torch.float64), torch.tensor([[0.0], [0.0795974382433669], [0.24351399394039708]], dtype=torch.float64))), ('posterior_coefficients_swapped', 'the coefficients of x0 and x_t are swapped: check in your derivation which of the two multiplies beta_t.', (torch.tensor([[1.3040000451301361, 0.9470809631292414], [-0.04389285008280375, -0.5909961117904158], [-0.5415058619194195, 0.2573528647220156]], dtype=torch.float64), torch.tensor([[0.0], [0.0795974382433669], [0.24351399394039708]], dtype=torch.float64)))])), ('q_posterior_mean_variance', dict(what='images (B, C, H, W)', inputs={'x0': torch.tensor([[[[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361]], [[0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531]], [[0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]]], [[[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276]], [[0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707]], [[0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943]]]], dtype=torch.float64), 'x_t': torch.tensor([[[[-2.7111624789659685, -1.8890132459676727], [-0.17477209205516195, -0.42219041157635356]], [[0.2136429974986111, 0.21732193102256359], [2.1178387550510482, -1.1120207626922813]], [[-0.37760500712699807, 2.0427716074923303], [0.6467029962018469, 0.6630633723762617]]], [[[-0.5140063716874629, -1.6480751708556527], [0.16746474422274113, 0.10901408782154753]], [[-1.2273520542445742, -0.6832266617805622], [-0.07204367972722743, -0.9447516230607774]], [[-0.09826996785221727, 0.09548302746945433], [0.03558623705548571, -0.5062916583143148]]]], dtype=torch.float64), 't': torch.tensor([3, 1], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[[[-1.4421698619332426, -0.7682602928709044], [0.032547993796316566, -0.7772853097025294]], [[0.4934957871848683, 0.3086968511471917], [1.0178078868180045, -0.41256603778663437]], [[-0.07197367298443993, 1.3124876043248264], [0.3891582075679864, 0.6098144534194097]]], [[[-0.663187091721138, -0.6486452898223681], [-0.26929398352209083, 0.4382020759006913]], [[-0.3748054317850314, -0.42009271865364584], [-0.5491609763789341, -0.4819414003042848]], [[-0.02667415358456506, -0.15402269460323964], [0.8815016697705786, 0.5110884594674999]]]], dtype=torch.float64), torch.tensor([[[[0.13055422838031533]]], [[[0.03448275862068968]]]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), broadcast=(1,), known=[('posterior_var_beta', 'the posterior variance is beta_t, the variance of the forward step; q(x_{t-1} | x_t, x0) also knows x0, so it is narrower (your derivation of Eq. (6)-(7)), and it is 0 at index 0.', (torch.tensor([[[[-1.4421698619332426, -0.7682602928709044], [0.032547993796316566, -0.7772853097025294]], [[0.4934957871848683, 0.3086968511471917], [1.0178078868180045, -0.41256603778663437]], [[-0.07197367298443993, 1.3124876043248264], [0.3891582075679864, 0.6098144534194097]]], [[[-0.663187091721138, -0.6486452898223681], [-0.26929398352209083, 0.4382020759006913]], [[-0.3748054317850314, -0.42009271865364584], [-0.5491609763789341, -0.4819414003042848]], [[-0.02667415358456506, -0.15402269460323964], [0.8815016697705786, 0.5110884594674999]]]], dtype=torch.float64), torch.tensor([[[[0.19999999999999998]]], [[[0.1]]]], dtype=torch.float64))), ('alpha_for_alpha_bar', 'a per-step alpha_t is used where the cumulative alpha_bar_t belongs (1 - alpha_bar_t is the variance of q(x_t | x0), Eq. (4)).', (torch.tensor([[[[-3.0184615210262775, -1.6079687929788031], [0.06812295101569055, -1.6268581532073942]], [[1.0328866825779295, 0.6461025094510722], [2.130271907110084, -0.8635007170874258]], [[-0.15064089755643284, 2.7470365558518623], [0.8145081284397957, 1.2763416510068246]]], [[[-0.9616212829956503, -0.9405356702424341], [-0.39047627610703173, 0.6353930100560026]], [[-0.5434678760882957, -0.6091344420477867], [-0.7962834157494547, -0.6988150304412131]], [[-0.03867752269761935, -0.22333290717469756], [1.2781774211673393, 0.7410782662278752]]]], dtype=torch.float64), torch.tensor([[[[0.27325]]], [[[0.05000000000000006]]]], dtype=torch.float64))), ('alpha_not_sqrt', 'the coefficient of x_t has alpha_t where your derivation has its square root (the forward step of Eq. (2) scales x_{t-1} by sqrt(alpha_t)).', (torch.tensor([[[[-1.275055581739857, -0.6518227531347913], [0.0433208311265344, -0.7512617691428944]], [[0.4803269726920701, 0.2953012696005911], [0.8872656925150663, -0.3440218060191982]], [[-0.048698347564801514, 1.1865724998506133], [0.349295858281419, 0.568943661256662]]], [[[-0.6545582898615779, -0.6209784847353278], [-0.2721052718172456, 0.43637201889064947]], [[-0.35420145045065243, -0.4086231575462249], [-0.5479515543331354, -0.4660815296666384]], [[-0.025024461814094744, -0.15562560104636408], [0.8809042713619343, 0.5195877517786051]]]], dtype=torch.float64), torch.tensor([[[[0.13055422838031533]]], [[[0.03448275862068968]]]], dtype=torch.float64))), ('posterior_coefficients_swapped', 'the coefficients of x0 and x_t are swapped: check in your derivation which of the two multiplies beta_t.', (torch.tensor([[[[-0.9025075676797651, -0.28970393477304246], [0.12174162616152981, -0.9328181772977326]], [[0.6156162617014868, 0.3491356206084052], [0.5491098589804464, -0.11364587732507397]], [[0.0590562105223808, 1.0037689907351246], [0.28000202075121483, 0.5892730337742533]]], [[[-0.5864291625763274, -1.16111720612775], [-0.04514815697174843, 0.26918033757379023]], [[-0.8120227283961788, -0.5549319957571711], [-0.3042146499555894, -0.7191910132561679]], [[-0.06339278714408456, -0.025975581627174865], [0.44725071522352006, -0.010993651980840013]]]], dtype=torch.float64), torch.tensor([[[[0.13055422838031533]]], [[[0.03448275862068968]]]], dtype=torch.float64)))])), ('q_posterior_mean_variance', dict(what='float32 data', inputs={'x0': torch.tensor([[0.18905338644981384, -0.5227484703063965], [-0.41306355595588684, -2.44146728515625], [1.7997074127197266, 1.1441658735275269]], dtype=torch.float32), 'x_t': torch.tensor([[-0.32542282342910767, 0.7738065719604492], [0.28121066093444824, -0.5538228154182434], [0.9775674343109131, -0.310556560754776]], dtype=torch.float32), 't': torch.tensor([4, 0, 1], dtype=torch.int64), 'beta': torch.tensor([0.05, 0.1, 0.15000000000000002, 0.19999999999999998, 0.25, 0.3], dtype=torch.float64)}, outputs=[torch.tensor([[-0.14528521885174772, 0.3207209866045204], [-0.4130635559558865, -2.4414672851562482], [1.5295439669552886, 0.6675069209780122]], dtype=torch.float64), torch.tensor([[0.18556609628513165], [0.0], [0.03448275862068968]], dtype=torch.float64)], dtypes=['float32', 'float32'], tol=(0.0001, 1e-05), broadcast=(1,), known=[('posterior_var_beta', 'the posterior variance is beta_t, the variance of the forward step; q(x_{t-1} | x_t, x0) also knows x0, so it is narrower (your derivation of Eq. (6)-(7)), and it is 0 at index 0.', (torch.tensor([[-0.1452852189540863, 0.32072097063064575], [-0.41306355595588684, -2.44146728515625], [1.5295438766479492, 0.6675069332122803]], dtype=torch.float32), torch.tensor([[0.25], [0.05000000074505806], [0.10000000149011612]], dtype=torch.float32))), ('alpha_for_alpha_bar', 'a per-step alpha_t is used where the cumulative alpha_bar_t belongs (1 - alpha_bar_t is the variance of q(x_t | x0), Eq. (4)).', (torch.tensor([[-0.32773441076278687, 0.7234824895858765], [-0.4130634665489197, -2.441466808319092], [2.2178385257720947, 0.96788489818573]], dtype=torch.float32), torch.tensor([[0.41860002279281616], [0.0], [0.05000000074505806]], dtype=torch.float32))), ('prev_wraps_around', 'alpha_bar_{t-1} at index 0 wraps around to alpha_bar_{T-1}; before step 0 alpha_bar is 1 (prepend a 1), so the posterior at index 0 is the point mass at x0.', (torch.tensor([[-0.1452852189540863, 0.32072097063064575], [3.580355644226074, -8.849540710449219], [1.529544472694397, 0.6675070524215698]], dtype=torch.float32), torch.tensor([[0.18556611239910126], [0.6947647929191589], [0.03448277339339256]], dtype=torch.float32))), ('alpha_not_sqrt', 'the coefficient of x_t has alpha_t where your derivation has its square root (the forward step of Eq. (2) scales x_{t-1} by sqrt(alpha_t)).', (torch.tensor([[-0.11725930869579315, 0.25407958030700684], [-0.4130634665489197, -2.441466808319092], [1.5131336450576782, 0.6727204918861389]], dtype=torch.float32), torch.tensor([[0.18556611239910126], [0.0], [0.03448277339339256]], dtype=torch.float32))), ('posterior_coefficients_swapped', 'the coefficients of x0 and x_t are swapped: check in your derivation which of the two multiplies beta_t.', (torch.tensor([[0.011529229581356049, -0.0744742751121521], [0.28121066093444824, -0.5538228154182434], [1.2458558082580566, 0.16553959250450134]], dtype=torch.float32), torch.tensor([[0.18556609749794006], [0.0], [0.03448275849223137]], dtype=torch.float32)))]))]
    depends = []
    run_cases(functions, cases, depends)

