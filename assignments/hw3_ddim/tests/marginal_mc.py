from otter.test_files import test_case

OK_FORMAT = False

name = "marginal_mc"
points = 2

@test_case(points=None, hidden=False)
def test_marginal_mc(ddim_marginal_mc):
    """The public cases of marginal_mc: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'ddim_marginal_mc': ddim_marginal_mc}
    cases = [('ddim_marginal_mc', dict(what='sigma = 0 (x_{t-1} is a function of x_t)', inputs={'x0': torch.tensor([0.18859533164008996, -0.19815729493695283], dtype=torch.float64), 'alpha_bar_t': 0.4, 'alpha_bar_prev': 0.7, 'sigma_eta': 0.0, 'noise': torch.tensor([[[0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474], [1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436], [-2.3250307746388343, -0.21879166393254573]], [[-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454], [0.4116305363741328, 1.0425133694426776], [-0.12853466294403426, 1.3664634705496859], [-0.6651946734866135, 0.3515100700930197], [0.9034701816518086, 0.09401229776087457]]], dtype=torch.float64)}, outputs=[torch.tensor([-0.0469929873806586, -0.1684660054862478], dtype=torch.float64), torch.tensor([0.3924129266854415, 0.1344721653937698], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), known=[('mc_unbiased_variance', "the variance divides by N - 1 (torch.var's default, unbiased=True); the contract divides by N.", (torch.tensor([-0.0469929873806586, -0.1684660054862478], dtype=torch.float64), torch.tensor([0.47089551202252977, 0.16136659847252374], dtype=torch.float64))), ('mc_noise_swapped', 'noise[0] and noise[1] are swapped: x_t is drawn with noise[0] and the fresh noise of the step to x_{t-1} is noise[1].', (torch.tensor([0.04196524418227992, -0.0009320330337868055], dtype=torch.float64), torch.tensor([0.1512453408471474, 0.15895752843843727], dtype=torch.float64))), ('mc_std_for_var', 'the second output is the standard deviation; the contract returns the variance.', (torch.tensor([-0.0469929873806586, -0.1684660054862478], dtype=torch.float64), torch.tensor([0.62642870838224, 0.36670446601285045], dtype=torch.float64)))])), ('ddim_marginal_mc', dict(what="DDPM's sigma (eta = 1)", inputs={'x0': torch.tensor([0.5183762880971791, 1.2324272152517375], dtype=torch.float64), 'alpha_bar_t': 0.4, 'alpha_bar_prev': 0.7, 'sigma_eta': 0.46291004988627577, 'noise': torch.tensor([[[0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113], [-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469], [-0.7364540870016669, -0.16290994799305278]], [[-0.48211931267997826, 0.5988462126346276], [0.03972210748165899, -0.2924567509650886], [-0.7819084623568421, -0.2571922406188707], [0.008142180518343508, -0.2756029052993704], [1.2940638143982073, 1.0067243153057943], [-2.7111624789659685, -1.8890132459676727]]], dtype=torch.float64)}, outputs=[torch.tensor([0.24788491427869422, 0.9652137539786404], dtype=torch.float64), torch.tensor([0.45042379090324736, 0.2052480206193034], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), known=[('mc_unbiased_variance', "the variance divides by N - 1 (torch.var's default, unbiased=True); the contract divides by N.", (torch.tensor([0.24788491427869422, 0.9652137539786404], dtype=torch.float64), torch.tensor([0.5405085490838968, 0.24629762474316408], dtype=torch.float64))), ('mc_noise_swapped', 'noise[0] and noise[1] are swapped: x_t is drawn with noise[0] and the fresh noise of the step to x_{t-1} is noise[1].', (torch.tensor([0.3326328648214658, 1.0080597087564744], dtype=torch.float64), torch.tensor([0.30379716392671646, 0.15503863797250528], dtype=torch.float64))), ('mc_direction_ignores_sigma', "the coefficient of the term that carries x_t does not depend on sigma, so the draws' variance grows with sigma; in Eq. (7) that coefficient shrinks as sigma grows, which is what keeps the marginal of Lemma 1.", (torch.tensor([0.26298576392630985, 0.9823070883813839], dtype=torch.float64), torch.tensor([0.6152005390751784, 0.29060266434980747], dtype=torch.float64))), ('mc_std_for_var', 'the second output is the standard deviation; the contract returns the variance.', (torch.tensor([0.24788491427869422, 0.9652137539786404], dtype=torch.float64), torch.tensor([0.6711361940047991, 0.4530430670690187], dtype=torch.float64)))])), ('ddim_marginal_mc', dict(what='the largest sigma, sqrt(1 - alpha_bar_prev) (x_t is forgotten)', inputs={'x0': torch.tensor([0.2835800726902996, -0.784122662221121], dtype=torch.float64), 'alpha_bar_t': 0.5, 'alpha_bar_prev': 0.75, 'sigma_eta': 0.5, 'noise': torch.tensor([[[-0.41306354339189344, -2.4414673826398556], [1.799707382720902, 1.1441658720372287], [-0.32542283686782436, 0.7738065867276614], [0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255], [-0.3288239040579627, -0.7921467553588982]], [[0.45495807124085547, -0.09919805171738795], [0.5452887139646817, -0.6071856998706371], [0.12682784711186987, -0.8922740434297903], [0.8414649723701431, 0.18803508698068597], [0.33057100813532614, 0.41050391297026284], [-1.0107575001533344, 0.7831809961440773]]], dtype=torch.float64)}, outputs=[torch.tensor([0.35295030634596564, -0.6971482950768078], dtype=torch.float64), torch.tensor([0.08678086898923532, 0.08266946488713273], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), known=[('mc_unbiased_variance', "the variance divides by N - 1 (torch.var's default, unbiased=True); the contract divides by N.", (torch.tensor([0.35295030634596564, -0.6971482950768078], dtype=torch.float64), torch.tensor([0.10413704278708238, 0.09920335786455928], dtype=torch.float64))), ('mc_noise_swapped', 'noise[0] and noise[1] are swapped: x_t is drawn with noise[0] and the fresh noise of the step to x_{t-1} is noise[1].', (torch.tensor([0.41151881523407935, -0.8607385670263309], dtype=torch.float64), torch.tensor([0.16656310167639363, 0.33780144873796103], dtype=torch.float64))), ('mc_direction_ignores_sigma', "the coefficient of the term that carries x_t does not depend on sigma, so the draws' variance grows with sigma; in Eq. (7) that coefficient shrinks as sigma grows, which is what keeps the marginal of Lemma 1.", (torch.tensor([0.5188815746232079, -0.8788167169365635], dtype=torch.float64), torch.tensor([0.35473983192167413, 0.24765270837650713], dtype=torch.float64))), ('mc_std_for_var', 'the second output is the standard deviation; the contract returns the variance.', (torch.tensor([0.35295030634596564, -0.6971482950768078], dtype=torch.float64), torch.tensor([0.29458592802310724, 0.2875229814938846], dtype=torch.float64)))])), ('ddim_marginal_mc', dict(what='an image-shaped data point (C, H, W)', inputs={'x0': torch.tensor([[[3.0613786820777737, -3.8334975469712727], [0.6271482700886682, -0.8516544091918947]]], dtype=torch.float64), 'alpha_bar_t': 0.3, 'alpha_bar_prev': 0.6, 'sigma_eta': 0.3, 'noise': torch.tensor([[[[[-0.45264929211044586, -0.2155971630897659], [-2.019986129147251, -0.23193237764418947]]], [[[-0.8652130762749417, 3.3229995166448827], [0.22578661322792176, -0.3526307943415954]]], [[[-0.2812874181513504, -0.6680463461089501], [-1.0551505512051214, -0.39080097723465473]]], [[[0.48194538850678587, -0.2385536065733667], [0.9577587029597641, -0.19980212906658]]], [[[0.024259565076664623, 1.545820851212812], [0.5451055226876446, -0.505228735614018]]]], [[[[-0.1828389745977349, 0.5405251317548021], [1.9350880340988528, -0.2696203273419135]]], [[[-0.24355867907910456, 1.0023136012756912], [-0.8864599431605871, -0.291720232439864]]], [[[0.8825389674564839, 0.5803500161908991], [0.09151670328235219, 0.6701043548284794]]], [[[-2.8281623068437627, 1.02130681750008], [-0.9596447598081417, -1.6686198426559695]]], [[[0.27644575952099965, 0.7005448853493901], [-0.4447674556827841, -1.0764058401008076]]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[2.1238940305826084, -2.3215056958268407], [0.3199925981904007, -1.0049852514449789]]], dtype=torch.float64), torch.tensor([[[0.0906738514882798, 0.7490042507444963], [0.11621747036786587, 0.05364539205528727]]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), known=[('mc_unbiased_variance', "the variance divides by N - 1 (torch.var's default, unbiased=True); the contract divides by N.", (torch.tensor([[[2.1238940305826084, -2.3215056958268407], [0.3199925981904007, -1.0049852514449789]]], dtype=torch.float64), torch.tensor([[[0.11334231436034975, 0.9362553134306204], [0.14527183795983234, 0.06705674006910908]]], dtype=torch.float64))), ('mc_noise_swapped', 'noise[0] and noise[1] are swapped: x_t is drawn with noise[0] and the fresh noise of the step to x_{t-1} is noise[1].', (torch.tensor([[[2.0724036583481174, -2.3164514522506083], [0.37557023603450196, -1.0540740693285104]]], dtype=torch.float64), torch.tensor([[[0.4005087072251342, 0.2666077443882874], [0.09628625163734311, 0.18997956941200203]]], dtype=torch.float64))), ('mc_direction_ignores_sigma', "the coefficient of the term that carries x_t does not depend on sigma, so the draws' variance grows with sigma; in Eq. (7) that coefficient shrinks as sigma grows, which is what keeps the marginal of Lemma 1.", (torch.tensor([[[2.1073514152499526, -2.2647974838595837], [0.2996124320055873, -1.030419406476173]]], dtype=torch.float64), torch.tensor([[[0.09308555356984813, 0.9572633966226303], [0.17656678451148328, 0.053793005952869864]]], dtype=torch.float64))), ('mc_std_for_var', 'the second output is the standard deviation; the contract returns the variance.', (torch.tensor([[[2.1238940305826084, -2.3215056958268407], [0.3199925981904007, -1.0049852514449789]]], dtype=torch.float64), torch.tensor([[[0.3011209914441034, 0.8654503167394973], [0.34090683531995347, 0.23161474921793573]]], dtype=torch.float64)))])), ('ddim_marginal_mc', dict(what='float32 data', inputs={'x0': torch.tensor([-0.9776867032051086, -0.26207593083381653], dtype=torch.float32), 'alpha_bar_t': 0.4, 'alpha_bar_prev': 0.7, 'sigma_eta': 0.25, 'noise': torch.tensor([[[1.6637239456176758, 0.6591477394104004], [-1.64139723777771, -0.00520326429978013], [-0.6234637498855591, 0.1486315280199051], [-1.6081877946853638, 0.2417718768119812], [0.23538091778755188, 1.575626015663147], [0.3166450262069702, 0.5105466842651367]], [[-1.4931167364120483, 2.2527291774749756], [-1.9156455993652344, 1.101801872253418], [-0.32990407943725586, -0.8806465268135071], [-0.6562849879264832, -0.6720146536827087], [0.38018909096717834, -0.11005869507789612], [1.4825711250305176, -1.8296040296554565]]], dtype=torch.float32)}, outputs=[torch.tensor([-1.0581106114714178, 0.02926134481036009], dtype=torch.float64), torch.tensor([0.4746726220249388, 0.18367227807114359], dtype=torch.float64)], dtypes=['float32', 'float32'], tol=(0.0001, 1e-05), known=[('mc_unbiased_variance', "the variance divides by N - 1 (torch.var's default, unbiased=True); the contract divides by N.", (torch.tensor([-1.0581105947494507, 0.02926134504377842], dtype=torch.float32), torch.tensor([0.569607138633728, 0.22040674090385437], dtype=torch.float32))), ('mc_noise_swapped', 'noise[0] and noise[1] are swapped: x_t is drawn with noise[0] and the fresh noise of the step to x_{t-1} is noise[1].', (torch.tensor([-1.0927183628082275, -0.1000220850110054], dtype=torch.float32), torch.tensor([0.46234986186027527, 0.4533867835998535], dtype=torch.float32))), ('mc_direction_ignores_sigma', "the coefficient of the term that carries x_t does not depend on sigma, so the draws' variance grows with sigma; in Eq. (7) that coefficient shrinks as sigma grows, which is what keeps the marginal of Lemma 1.", (torch.tensor([-1.0747894048690796, 0.060766298323869705], dtype=torch.float32), torch.tensor([0.568373441696167, 0.20135439932346344], dtype=torch.float32))), ('mc_std_for_var', 'the second output is the standard deviation; the contract returns the variance.', (torch.tensor([-1.0581105947494507, 0.02926134504377842], dtype=torch.float32), torch.tensor([0.6889649033546448, 0.428570032119751], dtype=torch.float32)))]))]
    depends = []
    run_cases(functions, cases, depends)

