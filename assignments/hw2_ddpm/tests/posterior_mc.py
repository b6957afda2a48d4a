from otter.test_files import test_case

OK_FORMAT = False

name = "posterior_mc"
points = 2

@test_case(points=None, hidden=False)
def test_posterior_mc(posterior_moments_mc):
    """The public cases of posterior_mc: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'posterior_moments_mc': posterior_moments_mc}
    cases = [('posterior_moments_mc', dict(what='eight chains in two dimensions, to step t = 3', inputs={'x0': torch.tensor([0.8216181435011584, 0.33043707618338714], dtype=torch.float64), 't': 3, 'beta': torch.tensor([0.01, 0.10666666666666666, 0.2033333333333333, 0.3], dtype=torch.float64), 'noise': torch.tensor([[[-1.303157231604361, 0.9053558666731177], [0.4463745723640113, -0.5369532353602852], [0.5811181041963531, 0.36457239618607573], [0.294132496655526, 0.02842224131579679], [0.5467129866124469, -0.7364540870016669], [-0.16290994799305278, -0.48211931267997826], [0.5988462126346276, 0.03972210748165899], [-0.2924567509650886, -0.7819084623568421]], [[-0.2571922406188707, 0.008142180518343508], [-0.2756029052993704, 1.2940638143982073], [1.0067243153057943, -2.7111624789659685], [-1.8890132459676727, -0.17477209205516195], [-0.42219041157635356, 0.2136429974986111], [0.21732193102256359, 2.1178387550510482], [-1.1120207626922813, -0.37760500712699807], [2.0427716074923303, 0.6467029962018469]], [[0.6630633723762617, -0.5140063716874629], [-1.6480751708556527, 0.16746474422274113], [0.10901408782154753, -1.2273520542445742], [-0.6832266617805622, -0.07204367972722743], [-0.9447516230607774, -0.09826996785221727], [0.09548302746945433, 0.03558623705548571], [-0.5062916583143148, 0.5937480717858228], [0.8911669542823284, 0.3208483045665637]], [[-0.818230227390307, 0.7316522837854408], [-0.5014400184670523, 0.8791606182879853], [-1.0717874168774442, 0.9144672031287812], [-0.02006345461548042, -1.2487488903344155], [-0.31389947196684775, 0.05410227877154389], [0.27279133916445375, -0.9821881249409777], [-1.107373047165193, 0.19958453284708083], [-0.46674961687980204, 0.23550561173022522]]], dtype=torch.float64)}, outputs=[torch.tensor([1.0059813832175404, 0.6784962305557698], dtype=torch.float64), torch.tensor([0.3656857309609779, 0.07471691316822432], dtype=torch.float64), torch.tensor([0.07936654874966448, 0.1895692884814786], dtype=torch.float64)], dtypes=['float64', 'float64', 'float64'], tol=(1e-06, 1e-08), known=[('mc_regress_x_t_on_x_prev', 'x_t is regressed on x_{t-1}; the posterior mean is a function of x_t, so regress x_{t-1} (the response) on x_t (the regressor).', (torch.tensor([0.7686585406209714, 0.529676182088312], dtype=torch.float64), torch.tensor([-0.23775121020841689, 0.1325442691736732], dtype=torch.float64), torch.tensor([0.06064304623701766, 0.14798952808008867], dtype=torch.float64))), ('mc_unbiased_residual_variance', 'the residual variance divides by N - 2; the contract divides by N (the estimate of beta_tilde_t the check compares with).', (torch.tensor([1.0059813832175404, 0.6784962305557698], dtype=torch.float64), torch.tensor([0.3656857309609779, 0.07471691316822432], dtype=torch.float64), torch.tensor([0.10582206499955264, 0.2527590513086381], dtype=torch.float64))), ('mc_chain_one_step_short', 'the chains stop one step early: x_t is reached after the forward steps 0, ..., t (t + 1 of them), with noise[s] at step s.', (torch.tensor([0.5210885893523013, 0.7031878282783167], dtype=torch.float64), torch.tensor([0.4621635072325158, 0.1573649138083315], dtype=torch.float64), torch.tensor([0.03619652046096364, 0.018412912876155513], dtype=torch.float64)))])), ('posterior_moments_mc', dict(what='t = 0: x_{t-1} is x0 itself', inputs={'x0': torch.tensor([-0.5227484414807474, -0.41306354339189344], dtype=torch.float64), 't': 0, 'beta': torch.tensor([0.01, 0.042222222222222223, 0.07444444444444444, 0.10666666666666666, 0.1388888888888889, 0.1711111111111111, 0.2033333333333333, 0.23555555555555555, 0.2677777777777778, 0.3], dtype=torch.float64), 'noise': torch.tensor([[[-2.4414673826398556, 1.799707382720902], [1.1441658720372287, -0.32542283686782436], [0.7738065867276614, 0.28121066979764925], [-0.5538228364240524, 0.9775674511260357], [-0.31055654665915255, -0.3288239040579627], [-0.7921467553588982, 0.45495807124085547], [-0.09919805171738795, 0.5452887139646817], [-0.6071856998706371, 0.12682784711186987]]], dtype=torch.float64)}, outputs=[torch.tensor([0.0, 0.0], dtype=torch.float64), torch.tensor([-0.5227484414807474, -0.41306354339189344], dtype=torch.float64), torch.tensor([0.0, 0.0], dtype=torch.float64)], dtypes=['float64', 'float64', 'float64'], tol=(1e-06, 1e-08), known=[('mc_regress_x_t_on_x_prev', 'x_t is regressed on x_{t-1}; the posterior mean is a function of x_t, so regress x_{t-1} (the response) on x_t (the regressor).', (torch.tensor([float('nan'), float('nan')], dtype=torch.float64), torch.tensor([float('nan'), float('nan')], dtype=torch.float64), torch.tensor([float('nan'), float('nan')], dtype=torch.float64)))])), ('posterior_moments_mc', dict(what='an image-shaped data point', inputs={'x0': torch.tensor([[[-2.5556650313141818, 0.41809884672577885], [-0.5677696061279298, -0.45264929211044586]]], dtype=torch.float64), 't': 2, 'beta': torch.tensor([0.01, 0.155, 0.3], dtype=torch.float64), 'noise': torch.tensor([[[[[-0.2155971630897659, -2.019986129147251], [-0.23193237764418947, -0.8652130762749417]]], [[[3.3229995166448827, 0.22578661322792176], [-0.3526307943415954, -0.2812874181513504]]], [[[-0.6680463461089501, -1.0551505512051214], [-0.39080097723465473, 0.48194538850678587]]], [[[-0.2385536065733667, 0.9577587029597641], [-0.19980212906658, 0.024259565076664623]]], [[[1.545820851212812, 0.5451055226876446], [-0.505228735614018, -0.1828389745977349]]], [[[0.5405251317548021, 1.9350880340988528], [-0.2696203273419135, -0.24355867907910456]]], [[[1.0023136012756912, -0.8864599431605871], [-0.291720232439864, 0.8825389674564839]]], [[[0.5803500161908991, 0.09151670328235219], [0.6701043548284794, -2.8281623068437627]]]], [[[[1.02130681750008, -0.9596447598081417], [-1.6686198426559695, 0.27644575952099965]]], [[[0.7005448853493901, -0.4447674556827841], [-1.0764058401008076, 0.026124833534033623]]], [[[-0.05274730824287927, 1.4055981660180925], [0.7474079874793504, 0.19381564626462]]], [[[1.1116332052239921, -0.20552304990579248], [-0.9258995736483681, 0.584058311025248]]], [[[0.5825384186556901, -0.2148289111268558], [-0.7828085779639662, 0.22915390521326254]]], [[[-2.4938942784579905, 0.690124770162812], [0.4913682607449912, -1.6388571438904884]]], [[[0.06135350983817159, -0.9640996635412404], [0.7572210447581504, -2.034167273443428]]], [[[-0.9144945379945887, 0.7095799877420675], [1.156401048432157, -2.158005380126208]]]], [[[[-0.49803984475130336, 0.32802009254257697], [-0.6092161379498706, 1.5906402313231438]]], [[[-1.1912266816177808, 0.354531946286926], [-1.0484055185445111, 1.4059629431348852]]], [[[-0.021651229055558368, -0.3722505640006159], [-1.7181849497326165, 1.6818255450666806]]], [[[0.7527785926973876, 0.753563837509362], [1.1378812589177814, 0.3492265781230293]]], [[[-0.6392466105764212, -0.8002412270301018], [-0.800199979361005, 1.3700723413337117]]], [[[-1.4603812011954127, -0.5963695117707888], [-0.32124391928619556, 0.22461902534909414]]], [[[0.5753493885078089, -1.2490970090955427], [-1.730013451272522, -0.004414232621967487]]], [[[1.2135638252860816, 0.7570580592965243], [0.21565078369996044, -0.3171556440173552]]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[0.47693138747322933, 0.4640678050307514], [0.341508583225306, 0.5797416758005018]]], dtype=torch.float64), torch.tensor([[[-1.3223169043534273, 0.2591805041416806], [-0.31560930408664906, -0.5956929479616914]]], dtype=torch.float64), torch.tensor([[[0.11976337025437372, 0.07546784743678638], [0.13015868237774192, 0.02337207197021627]]], dtype=torch.float64)], dtypes=['float64', 'float64', 'float64'], tol=(1e-06, 1e-08), known=[('mc_regress_x_t_on_x_prev', 'x_t is regressed on x_{t-1}; the posterior mean is a function of x_t, so regress x_{t-1} (the response) on x_t (the regressor).', (torch.tensor([[[0.9427247321496294, 0.9139085639541092], [0.6227556902554982, 1.5396494023692582]]], dtype=torch.float64), torch.tensor([[[0.1538142625372707, -0.08588878708677661], [-0.4623238025282424, 0.9031828347282406]]], dtype=torch.float64), torch.tensor([[[0.2367298402031231, 0.14862205765618863], [0.2373499937289144, 0.0620703981499817]]], dtype=torch.float64))), ('mc_unbiased_residual_variance', 'the residual variance divides by N - 2; the contract divides by N (the estimate of beta_tilde_t the check compares with).', (torch.tensor([[[0.47693138747322933, 0.4640678050307514], [0.341508583225306, 0.5797416758005018]]], dtype=torch.float64), torch.tensor([[[-1.3223169043534273, 0.2591805041416806], [-0.31560930408664906, -0.5956929479616914]]], dtype=torch.float64), torch.tensor([[[0.1596844936724983, 0.10062379658238184], [0.17354490983698923, 0.031162762626955026]]], dtype=torch.float64))), ('mc_chain_one_step_short', 'the chains stop one step early: x_t is reached after the forward steps 0, ..., t (t + 1 of them), with noise[s] at step s.', (torch.tensor([[[0.08117972887597046, 0.18262394300881094], [0.042766398048324994, 0.11030499109443895]]], dtype=torch.float64), torch.tensor([[[-2.28526530318906, 0.3438725587478455], [-0.5588492794946307, -0.41400518932031705]]], dtype=torch.float64), torch.tensor([[[0.012701405120999048, 0.009370062908547132], [0.0008527969413442572, 0.008347797924456883]]], dtype=torch.float64)))])), ('posterior_moments_mc', dict(what='float32 data', inputs={'x0': torch.tensor([-0.17471729218959808, 1.6637239456176758], dtype=torch.float32), 't': 2, 'beta': torch.tensor([0.01, 0.155, 0.3], dtype=torch.float64), 'noise': torch.tensor([[[0.6591477394104004, -1.64139723777771], [-0.00520326429978013, -0.6234637498855591], [0.1486315280199051, -1.6081877946853638], [0.2417718768119812, 0.23538091778755188], [1.575626015663147, 0.3166450262069702], [0.5105466842651367, -1.4931167364120483], [2.2527291774749756, -1.9156455993652344], [1.101801872253418, -0.32990407943725586]], [[-0.8806465268135071, -0.6562849879264832], [-0.6720146536827087, 0.38018909096717834], [-0.11005869507789612, 1.4825711250305176], [-1.8296040296554565, -0.0030809645541012287], [-0.8920558094978333, 0.7758718729019165], [-2.1180601119995117, -0.3436943590641022], [0.21017292141914368, -1.4842685461044312], [0.9852156043052673, 0.17871342599391937]], [[1.0068567991256714, 0.9591848850250244], [-0.9798545837402344, -0.7977957725524902], [-0.20333248376846313, 0.7479597330093384], [0.850967288017273, -0.7096848487854004], [-0.6071971654891968, -0.797822892665863], [-0.5842382311820984, -0.23792338371276855], [-0.13181504607200623, 2.058114528656006], [-0.5064036846160889, -0.2887243628501892]]], dtype=torch.float32)}, outputs=[torch.tensor([0.5488225695695543, -0.08130069422229085], dtype=torch.float64), torch.tensor([-0.14397255196979822, 1.5611044700058774], dtype=torch.float64), torch.tensor([0.11106553981637213, 0.13627553830154518], dtype=torch.float64)], dtypes=['float32', 'float32', 'float32'], tol=(0.0001, 1e-05), known=[('mc_regress_x_t_on_x_prev', 'x_t is regressed on x_{t-1}; the posterior mean is a function of x_t, so regress x_{t-1} (the response) on x_t (the regressor).', (torch.tensor([0.6199594736099243, -0.09688958525657654], dtype=torch.float32), torch.tensor([-0.15415646135807037, 1.4239085912704468], dtype=torch.float32), torch.tensor([0.12546157836914062, 0.16240540146827698], dtype=torch.float32))), ('mc_unbiased_residual_variance', 'the residual variance divides by N - 2; the contract divides by N (the estimate of beta_tilde_t the check compares with).', (torch.tensor([0.5488225221633911, -0.08130074292421341], dtype=torch.float32), torch.tensor([-0.14397257566452026, 1.5611045360565186], dtype=torch.float32), torch.tensor([0.14808738231658936, 0.1817007064819336], dtype=torch.float32))), ('mc_chain_one_step_short', 'the chains stop one step early: x_t is reached after the forward steps 0, ..., t (t + 1 of them), with noise[s] at step s.', (torch.tensor([0.09764246642589569, 0.128904327750206], dtype=torch.float32), torch.tensor([-0.05894925072789192, 1.3793485164642334], dtype=torch.float32), torch.tensor([0.0037575876340270042, 0.0047211963683366776], dtype=torch.float32)))]))]
    depends = []
    run_cases(functions, cases, depends)

