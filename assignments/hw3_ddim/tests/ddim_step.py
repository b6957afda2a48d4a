from otter.test_files import test_case

OK_FORMAT = False

name = "ddim_step"
points = 5

@test_case(points=None, hidden=False)
def test_ddim_step(ddim_step, ddim_sigma):
    """The public cases of ddim_step: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'ddim_step': ddim_step, 'ddim_sigma': ddim_sigma}
    cases = [('ddim_step', dict(what='eta = 0: deterministic, strided steps', inputs={'x_t': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 't': torch.tensor([7, 4, 2], dtype=torch.int64), 't_prev': torch.tensor([3, 1, 0], dtype=torch.int64), 'eps_pred': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 0.0, 'noise': torch.tensor([[-2.3250307746388343, -0.21879166393254573], [-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454]], dtype=torch.float64)}, outputs=[torch.tensor([[-1.050642075641485, -1.1576161537690375], [1.20446123765734, 0.8119490338161617], [-0.3985684312067298, 0.39025113748269247]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('x0_pred_with_prev', 'x0_pred is computed with alpha_bar at t_prev; x_t was noised to level t, so predicting x0 from it uses alpha_bar at t (Ho et al. Eq. (4) solved for x0).', (torch.tensor([[0.12573022109339327, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64),))])), ('ddim_step', dict(what="eta = 1 on contiguous steps (DDPM's posterior step)", inputs={'x_t': torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 't': torch.tensor([5, 2, 1], dtype=torch.int64), 't_prev': torch.tensor([4, 1, 0], dtype=torch.int64), 'eps_pred': torch.tensor([[-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 1.0, 'noise': torch.tensor([[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276], [0.03972210748165899, -0.2924567509650886]], dtype=torch.float64)}, outputs=[torch.tensor([[0.2586080683602726, 0.6703842573339639], [0.1303616751801705, -1.3131552956879005], [0.9469888973850384, 0.27883376829277357]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('step_direction_ignores_sigma', 'the coefficient of eps_pred (the direction pointing to x_t) does not depend on sigma: with noise added, that term must give up variance so the step keeps the marginal of Lemma 1 (it is the same only at eta = 0).', (torch.tensor([[0.17915030567433043, 0.7563774898447178], [0.1702559464652319, -1.2809690914165852], [0.949596089563785, 0.3289841349326821]], dtype=torch.float64),)), ('x0_pred_with_prev', 'x0_pred is computed with alpha_bar at t_prev; x_t was noised to level t, so predicting x0 from it uses alpha_bar at t (Ho et al. Eq. (4) solved for x0).', (torch.tensor([[0.10971331721475969, 0.6658715171965718], [0.1654076874506037, -1.1799115973654044], [0.9099216441876873, 0.3434127225406659]], dtype=torch.float64),))])), ('ddim_step', dict(what='eta = 0.5, strided steps', inputs={'x_t': torch.tensor([[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556], [1.799707382720902, 1.1441658720372287]], dtype=torch.float64), 't': torch.tensor([7, 6, 3], dtype=torch.int64), 't_prev': torch.tensor([2, 4, 1], dtype=torch.int64), 'eps_pred': torch.tensor([[-0.32542283686782436, 0.7738065867276614], [0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 0.5, 'noise': torch.tensor([[-0.3288239040579627, -0.7921467553588982], [0.45495807124085547, -0.09919805171738795], [0.5452887139646817, -0.6071856998706371]], dtype=torch.float64)}, outputs=[torch.tensor([[0.7056003653679821, -2.1859136686417324], [-0.5588436309273992, -3.0036793002129705], [1.8176725356272558, 1.3494838141629792]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('step_direction_ignores_sigma', 'the coefficient of eps_pred (the direction pointing to x_t) does not depend on sigma: with noise added, that term must give up variance so the step keeps the marginal of Lemma 1 (it is the same only at eta = 0).', (torch.tensor([[0.686211982991456, -2.139811009918233], [-0.5432781543274458, -3.034334312012777], [1.851503961787939, 1.3387361456876083]], dtype=torch.float64),)), ('x0_pred_with_prev', 'x0_pred is computed with alpha_bar at t_prev; x_t was noised to level t, so predicting x0 from it uses alpha_bar at t (Ho et al. Eq. (4) solved for x0).', (torch.tensor([[0.13171427291582666, -0.7536899531398131], [-0.30511637567771877, -2.437742794659122], [1.850166840806059, 1.0610546026090357]], dtype=torch.float64),))])), ('ddim_step', dict(what='the final step, t_prev = -1 (alpha_bar_prev = 1), eta = 1, loud noise', inputs={'x_t': torch.tensor([[2.0409191213851825, -2.5556650313141818], [0.41809884672577885, -0.5677696061279298], [-0.45264929211044586, -0.2155971630897659]], dtype=torch.float64), 't': torch.tensor([0, 3, 7], dtype=torch.int64), 't_prev': torch.tensor([-1, -1, -1], dtype=torch.int64), 'eps_pred': torch.tensor([[-2.019986129147251, -0.23193237764418947], [-0.8652130762749417, 3.3229995166448827], [0.22578661322792176, -0.3526307943415954]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 1.0, 'noise': torch.tensor([[-2.8128741815135037, -6.6804634610895], [-10.551505512051214, -3.9080097723465475], [4.819453885067858, -2.385536065733667]], dtype=torch.float64)}, outputs=[torch.tensor([[2.557355437124522, -2.568848060683792], [1.1657575067731725, -3.1829960567167386], [-1.4396462648101067, 0.21704792368153072]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('final_step_wraps', 't_prev = -1 reads alpha_bar[-1], which Python wraps to the last entry alpha_bar[T-1]; the final step has alpha_bar_prev = 1 (it lands on x0_pred, with no noise).', (torch.tensor([[float('nan'), float('nan')], [float('nan'), float('nan')], [-0.45264929211044586, -0.2155971630897659]], dtype=torch.float64),)), ('final_step_index_zero', 't_prev = -1 is read as index 0 (alpha_bar[0] < 1), so the final step stops short of x0_pred and adds noise; the final step has alpha_bar_prev = 1.', (torch.tensor([[2.0409191213851825, -2.5556650313141818], [-1.1680300012648348, -3.704904567976073], [-0.3270210825959532, -0.32743096322984644]], dtype=torch.float64),)), ('x0_pred_with_prev', 'x0_pred is computed with alpha_bar at t_prev; x_t was noised to level t, so predicting x0 from it uses alpha_bar at t (Ho et al. Eq. (4) solved for x0).', (torch.tensor([[2.0409191213851825, -2.5556650313141818], [0.41809884672577885, -0.5677696061279298], [-0.45264929211044586, -0.2155971630897659]], dtype=torch.float64),))])), ('ddim_step', dict(what='images (B, C, H, W), eta = 0.5, with a final step', inputs={'x_t': torch.tensor([[[[-0.6517911526116896, -0.17471729232577715], [1.6637239913911968, 0.659147749832255]], [[-1.6413972945846467, -0.005203264171931977], [-0.6234637409883934, 0.14863152325202633]], [[-1.608187784186389, 0.2417718768768513], [0.23538091873745476, 1.5756260314314627]]], [[[0.3166450164719021, 0.5105466616976417], [-1.4931166849642326, 2.2527291247240275]], [[-1.9156455579583005, 1.1018018558224842], [-0.3299040738738497, -0.8806465179277969]], [[-0.6562850109290311, -0.6720146806586559], [0.3801890922489917, -0.11005869527805158]]]], dtype=torch.float64), 't': torch.tensor([6, 2], dtype=torch.int64), 't_prev': torch.tensor([3, -1], dtype=torch.int64), 'eps_pred': torch.tensor([[[[1.482571163033857, -1.8296040234453508], [-0.0030809646658509597, -0.892055788321591]], [[0.7758718474580595, -2.118060042185068], [-0.3436943500994811, 0.21017292733610196]], [[-1.4842685839963512, 0.9852155828581877], [0.1787134291183962, 1.006856770707084]]], [[[0.9591848586745111, -0.9798545663746768], [-0.7977957578895382, -0.20333248577190258]], [[0.7479597259631346, 0.8509672909755427], [-0.7096848707086849, -0.6071971852553313]], [[-0.7978229151665286, -0.584238229157347], [-0.2379233775647261, -0.13181504769026442]]]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 0.5, 'noise': torch.tensor([[[[2.058114468497711, -0.5064036597864299], [-0.28872436702922194, 0.4585777290940279]], [[-0.9530740655699254, -0.36862714912240996], [0.013318481161013024, 0.7741459470172646]], [[-1.3160148587467566, 1.3714694572870232], [-0.35245736590160387, 0.1694164211036251]]], [[[0.8470883039345106, 0.6607929217270263], [1.059231886175497, 0.17319781643187807]], [[-0.019613353374506273, 0.3164785392796004], [-0.9957153901865851, 1.2141873689841987]], [[-0.7753862486410281, -1.2602438798825923], [2.0564087809385283, -0.13644493951285103]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[-1.4678871974773675, 0.8972479973186004], [2.384707779246617, 1.7218960819927176]], [[-3.220816751415812, 1.3868301681008237], [-0.6757247135843071, 0.27430909373029855]], [[-1.6757255327629057, 0.022698211631040688], [0.12969634553828757, 1.6635286775499294]]], [[[-0.1719532838196878, 1.130393268703326], [-1.2647280838707173, 2.692091214647274]], [[-2.6096676395814487, 0.7871467604414351], [0.0177606170221854, -0.6698022286472601]], [[-0.30675421644303036, -0.44376410014726175], [0.567783764598351, -0.05254545751357411]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('step_direction_ignores_sigma', 'the coefficient of eps_pred (the direction pointing to x_t) does not depend on sigma: with noise added, that term must give up variance so the step keeps the marginal of Lemma 1 (it is the same only at eta = 0).', (torch.tensor([[[[-1.3783098437786814, 0.7867028236209518], [2.3845216265218863, 1.6679978281605552]], [[-3.173938362952906, 1.258856403141298], [-0.6964908198804121, 0.2870077992759724]], [[-1.765405445098724, 0.08222520563687874], [0.14049425962835005, 1.7243632380232232]]], [[[-0.1719532838196878, 1.130393268703326], [-1.2647280838707173, 2.692091214647274]], [[-2.6096676395814487, 0.7871467604414351], [0.0177606170221854, -0.6698022286472601]], [[-0.30675421644303036, -0.44376410014726175], [0.567783764598351, -0.05254545751357411]]]], dtype=torch.float64),)), ('final_step_wraps', 't_prev = -1 reads alpha_bar[-1], which Python wraps to the last entry alpha_bar[T-1]; the final step has alpha_bar_prev = 1 (it lands on x0_pred, with no noise).', (torch.tensor([[[[-1.4678871974773675, 0.8972479973186004], [2.384707779246617, 1.7218960819927176]], [[-3.220816751415812, 1.3868301681008237], [-0.6757247135843071, 0.27430909373029855]], [[-1.6757255327629057, 0.022698211631040688], [0.12969634553828757, 1.6635286775499294]]], [[[float('nan'), float('nan')], [float('nan'), float('nan')]], [[float('nan'), float('nan')], [float('nan'), float('nan')]], [[float('nan'), float('nan')], [float('nan'), float('nan')]]]], dtype=torch.float64),)), ('final_step_index_zero', 't_prev = -1 is read as index 0 (alpha_bar[0] < 1), so the final step stops short of x0_pred and adds noise; the final step has alpha_bar_prev = 1.', (torch.tensor([[[[-1.4678871974773675, 0.8972479973186004], [2.384707779246617, 1.7218960819927176]], [[-3.220816751415812, 1.3868301681008237], [-0.6757247135843071, 0.27430909373029855]], [[-1.6757255327629057, 0.022698211631040688], [0.12969634553828757, 1.6635286775499294]]], [[[0.10962888319400806, 0.9740607375826544], [-1.2835813663258044, 2.6010999119591096]], [[-2.396709469132897, 0.9688419750126415], [-0.22539841142275158, -0.6499937203278978]], [[-0.5367913818176427, -0.6772192044020853], [0.7155689262564429, -0.09135404672010516]]]], dtype=torch.float64),)), ('x0_pred_with_prev', 'x0_pred is computed with alpha_bar at t_prev; x_t was noised to level t, so predicting x0 from it uses alpha_bar at t (Ho et al. Eq. (4) solved for x0).', (torch.tensor([[[[-0.20258191956969696, -0.19674176115558048], [1.5883260021249885, 0.8330954631068808]], [[-1.9377776085037712, 0.02626888899892399], [-0.5992110361016132, 0.3385937769566012]], [[-1.8630227978652258, 0.5412770742389384], [0.13231442384083025, 1.5591424031640297]]], [[[0.3166450164719021, 0.5105466616976417], [-1.4931166849642326, 2.2527291247240275]], [[-1.9156455579583005, 1.1018018558224842], [-0.3299040738738497, -0.8806465179277969]], [[-0.6562850109290311, -0.6720146806586559], [0.3801890922489917, -0.11005869527805158]]]], dtype=torch.float64),))])), ('ddim_step', dict(what='float32 data, eta = 0.5', inputs={'x_t': torch.tensor([[-0.8019314408302307, -1.3243589401245117], [-0.24836161732673645, 0.4204452335834503], [1.1360465288162231, 0.10970640182495117]], dtype=torch.float32), 't': torch.tensor([7, 5, 1], dtype=torch.int64), 't_prev': torch.tensor([2, -1, 0], dtype=torch.int64), 'eps_pred': torch.tensor([[-0.5526472926139832, -0.7847803831100464], [0.7487457990646362, 1.6347830295562744], [0.2727687656879425, -1.2333287000656128]], dtype=torch.float32), 'alpha_bar': torch.tensor([0.95, 0.8685714285714285, 0.7631020408163265, 0.6431860058309038, 0.519142990420658, 0.40048173546736476, 0.2946401339509898, 0.20624809376569286], dtype=torch.float64), 'eta': 0.5, 'noise': torch.tensor([[-0.9582651853561401, 1.600019097328186], [0.20288243889808655, -1.7321348190307617], [-0.08369619399309158, -1.1632260084152222]], dtype=torch.float32)}, outputs=[torch.tensor([[-1.0551096012097787, -1.1644044544213066], [-1.3085608271678086, -1.335801775849918], [1.1329300421260422, 0.2250167700979054]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('step_direction_ignores_sigma', 'the coefficient of eps_pred (the direction pointing to x_t) does not depend on sigma: with noise added, that term must give up variance so the step keeps the marginal of Lemma 1 (it is the same only at eta = 0).', (torch.tensor([[-1.0880358219146729, -1.2111608982086182], [-1.3085607290267944, -1.3358017206192017], [1.1381233930587769, 0.20153507590293884]], dtype=torch.float32),)), ('final_step_wraps', 't_prev = -1 reads alpha_bar[-1], which Python wraps to the last entry alpha_bar[T-1]; the final step has alpha_bar_prev = 1 (it lands on x0_pred, with no noise).', (torch.tensor([[-1.0551096200942993, -1.1644045114517212], [float('nan'), float('nan')], [1.132930040359497, 0.22501689195632935]], dtype=torch.float32),)), ('final_step_index_zero', 't_prev = -1 is read as index 0 (alpha_bar[0] < 1), so the final step stops short of x0_pred and adds noise; the final step has alpha_bar_prev = 1.', (torch.tensor([[-1.0551096200942993, -1.1644045114517212], [-1.1073054075241089, -1.1737782955169678], [1.132930040359497, 0.22501689195632935]], dtype=torch.float32),)), ('x0_pred_with_prev', 'x0_pred is computed with alpha_bar at t_prev; x_t was noised to level t, so predicting x0 from it uses alpha_bar at t (Ho et al. Eq. (4) solved for x0).', (torch.tensor([[-0.9926060438156128, -0.9042555093765259], [-0.24836161732673645, 0.4204452335834503], [1.1232962608337402, 0.028161250054836273]], dtype=torch.float32),)), ('step_float64_for_float32', "float32 data gives a float64 result; cast the (float64) schedule to x_t.dtype so results keep the data's dtype.", (torch.tensor([[-1.0551096012097787, -1.1644044544213066], [-1.3085608271678086, -1.335801775849918], [1.1329300421260422, 0.2250167700979054]], dtype=torch.float64),))])), ('ddim_step', dict(what='the cosine schedule (T = 8), from its top index, eta = 0.5', inputs={'x_t': torch.tensor([[1.0531157544867582, 1.776491303816993], [-2.5532918384570134, -0.13796506137840808], [1.0137194090532766, 1.3521418253819912]], dtype=torch.float64), 't': torch.tensor([7, 4, 2], dtype=torch.int64), 't_prev': torch.tensor([5, 1, -1], dtype=torch.int64), 'eps_pred': torch.tensor([[0.6537883844162056, 1.4971178525878377], [0.289957591366348, 0.5512671317684119], [0.17873768757050404, -1.073858701475369]], dtype=torch.float64), 'alpha_bar': torch.tensor([0.9578045910130173, 0.8470121613269046, 0.6842265658100488, 0.49384359044063764, 0.30439488942465887, 0.14427210238573576, 0.03747195477386678, 3.7471954773866814e-05], dtype=torch.float64), 'eta': 0.5, 'noise': torch.tensor([[-0.8466289662382713, 0.37958424600772894], [-0.5801952016057006, 1.2715513764583872], [1.2923865934033114, 1.7987863384903786]], dtype=torch.float64)}, outputs=[torch.tensor([[24.91104523468388, 18.711678997203208], [-4.6719789380396195, -0.5692739459037072], [1.1040888018538808, 2.364156846877439]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('step_direction_ignores_sigma', 'the coefficient of eps_pred (the direction pointing to x_t) does not depend on sigma: with noise added, that term must give up variance so the step keeps the marginal of Lemma 1 (it is the same only at eta = 0).', (torch.tensor([[24.992052411320753, 18.8971783012924], [-4.658069912790624, -0.5428301186578781], [1.1040888018538808, 2.364156846877439]], dtype=torch.float64),)), ('final_step_wraps', 't_prev = -1 reads alpha_bar[-1], which Python wraps to the last entry alpha_bar[T-1]; the final step has alpha_bar_prev = 1 (it lands on x0_pred, with no noise).', (torch.tensor([[24.91104523468388, 18.711678997203208], [-4.6719789380396195, -0.5692739459037072], [float('nan'), float('nan')]], dtype=torch.float64),)), ('final_step_index_zero', 't_prev = -1 is read as index 0 (alpha_bar[0] < 1), so the final step stops short of x0_pred and adds noise; the final step has alpha_bar_prev = 1.', (torch.tensor([[24.91104523468388, 18.711678997203208], [-4.6719789380396195, -0.5692739459037072], [1.2390860387474347, 2.295401670389685]], dtype=torch.float64),)), ('x0_pred_with_prev', 'x0_pred is computed with alpha_bar at t_prev; x_t was noised to level t, so predicting x0 from it uses alpha_bar at t (Ho et al. Eq. (4) solved for x0).', (torch.tensor([[0.5805626580008096, 1.766540756845904], [-2.6760921664061073, 0.07423645944045398], [1.0137194090532766, 1.3521418253819912]], dtype=torch.float64),))]))]
    depends = [('ddim_sigma', dict(what='eta = 1, strided steps', inputs={'alpha_bar_t': torch.tensor([0.3, 0.5, 0.8], dtype=torch.float64), 'alpha_bar_prev': torch.tensor([0.6, 0.9, 0.95], dtype=torch.float64), 'eta': 1.0}, outputs=[torch.tensor([0.5345224838248488, 0.2981423969999719, 0.19867985355975662], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_sigma', dict(what='eta = 0: no noise', inputs={'alpha_bar_t': torch.tensor([0.3, 0.5, 0.8], dtype=torch.float64), 'alpha_bar_prev': torch.tensor([0.6, 0.9, 0.95], dtype=torch.float64), 'eta': 0.0}, outputs=[torch.tensor([0.0, 0.0, 0.0], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_sigma', dict(what='eta = 0.5, with the final step (alpha_bar_prev = 1)', inputs={'alpha_bar_t': torch.tensor([0.2, 0.7, 0.9], dtype=torch.float64), 'alpha_bar_prev': torch.tensor([0.5, 1.0, 1.0], dtype=torch.float64), 'eta': 0.5}, outputs=[torch.tensor([0.3061862178478973, 0.0, 0.0], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[])), ('ddim_sigma', dict(what='float32, shape (B, 1, 1, 1), eta = 0.7', inputs={'alpha_bar_t': torch.tensor([[[[0.10000000149011612]]], [[[0.44999998807907104]]], [[[0.6000000238418579]]]], dtype=torch.float32), 'alpha_bar_prev': torch.tensor([[[[0.30000001192092896]]], [[[0.5]]], [[[0.9900000095367432]]]], dtype=torch.float32), 'eta': 0.7}, outputs=[torch.tensor([[[[0.5040576091310235]]], [[[0.2110579640772212]]], [[[0.06946764021974128]]]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[]))]
    run_cases(functions, cases, depends)

