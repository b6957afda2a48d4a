from otter.test_files import test_case

OK_FORMAT = False

name = "euler_maruyama_step"
points = 1

@test_case(points=None, hidden=False)
def test_euler_maruyama_step(euler_maruyama_step):
    """The public cases of euler_maruyama_step: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'euler_maruyama_step': euler_maruyama_step}
    cases = [('euler_maruyama_step', dict(what='a backward step (dt < 0), floats', inputs={'x': torch.tensor([[0.1257302210933933, -0.1321048632913019], [0.6404226504432821, 0.10490011715303971], [-0.535669373161111, 0.36159505490948474]], dtype=torch.float64), 'drift': torch.tensor([[1.3040000451301372, 0.9470809631292422], [-0.7037352358069926, -1.2654214710460525], [-0.6232744625373522, 0.0413259793472436]], dtype=torch.float64), 'g': 1.5, 'dt': -0.01, 'noise': torch.tensor([[-2.3250307746388343, -0.21879166393254573], [-1.2459109472530652, -0.7322673547034516], [-0.5442589828573099, -0.31630015636915454]], dtype=torch.float64)}, outputs=[torch.tensor([[-0.23606439555373326, -0.1743944225124762], [0.46057336071339217, 0.007714228657982464], [-0.611075475964334, 0.31373677166063907]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('em_noise_scaled_by_dt', 'the noise is scaled by |dt|; a Brownian increment over dt has standard deviation sqrt(|dt|).', (torch.tensor([[0.07781475902250942, -0.1448575478815825], [0.628771338592556, 0.10657032154294846], [-0.5376005132785971, 0.356437292770475]], dtype=torch.float64),)), ('em_drift_abs_dt', "the drift is multiplied by |dt|: only the noise's scale uses |dt|; the drift term is drift * dt, negative when the step goes back in time.", (torch.tensor([[-0.20998439465113053, -0.15545280324989133], [0.44649865599725236, -0.017594200762938578], [-0.623540965215081, 0.314563291247584]], dtype=torch.float64),))])), ('euler_maruyama_step', dict(what='a forward step (dt > 0)', inputs={'x': torch.tensor([[0.345584192064786, 0.8216181435011584], [0.33043707618338714, -1.303157231604361], [0.9053558666731177, 0.4463745723640113]], dtype=torch.float64), 'drift': torch.tensor([[-0.5369532353602852, 0.5811181041963531], [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.5467129866124469]], dtype=torch.float64), 'g': 0.5, 'dt': 0.04, 'noise': torch.tensor([[-0.7364540870016669, -0.16290994799305278], [-0.48211931267997826, 0.5988462126346276], [0.03972210748165899, -0.2924567509650886]], dtype=torch.float64)}, outputs=[torch.tensor([[0.2504606539502079, 0.8285718728697072], [0.29680804076283235, -1.2315073104746772], [0.9104649670739156, 0.43899741673200027]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('em_noise_scaled_by_dt', 'the noise is scaled by |dt|; a Brownian increment over dt has standard deviation sqrt(|dt|).', (torch.tensor([[0.30937698091034127, 0.8416046687091515], [0.3353775857772306, -1.2794150074854473], [0.9072871984753829, 0.46239395680920736]], dtype=torch.float64),))])), ('euler_maruyama_step', dict(what='g and dt per sample (B,), images', inputs={'x': torch.tensor([[[[0.18905338179353307, -0.5227484414807474], [-0.41306354339189344, -2.4414673826398556]]], [[[1.799707382720902, 1.1441658720372287], [-0.32542283686782436, 0.7738065867276614]]]], dtype=torch.float64), 'drift': torch.tensor([[[[0.28121066979764925, -0.5538228364240524], [0.9775674511260357, -0.31055654665915255]]], [[[-0.3288239040579627, -0.7921467553588982], [0.45495807124085547, -0.09919805171738795]]]], dtype=torch.float64), 'g': torch.tensor([0.5, 2.0], dtype=torch.float64), 'dt': torch.tensor([-0.01, -0.2], dtype=torch.float64), 'noise': torch.tensor([[[[0.5452887139646817, -0.6071856998706371], [0.12682784711186987, -0.8922740434297903]]], [[[0.8414649723701431, 0.18803508698068597], [0.33057100813532614, 0.41050391297026284]]]], dtype=torch.float64)}, outputs=[torch.tensor([[[[0.21350571079379066, -0.5475694981100387], [-0.4164978255475603, -2.4829755193447536]]], [[[2.6181013150943437, 1.4707789177665682], [-0.12074275288350539, 1.160812058843605]]]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('em_noise_scaled_by_dt', 'the noise is scaled by |dt|; a Brownian increment over dt has standard deviation sqrt(|dt|).', (torch.tensor([[[[0.18896771866537998, -0.52024614161586], [-0.4222050786675945, -2.442823187390413]]], [[[2.202058152480552, 1.3778092579012826], [-0.28418604786186497, 0.9578477622592442]]]], dtype=torch.float64),)), ('em_drift_abs_dt', "the drift is multiplied by |dt|: only the noise's scale uses |dt|; the drift term is drift * dt, negative when the step goes back in time.", (torch.tensor([[[[0.21912992418974364, -0.5586459548385199], [-0.39694647652503956, -2.4891866502779365]]], [[[2.486571753471158, 1.1539202156230088], [0.0612404756128368, 1.12113283815665]]]], dtype=torch.float64),))])), ('euler_maruyama_step', dict(what="g = 0: Euler's step of an ODE", inputs={'x': torch.tensor([[2.0409191213851825, -2.5556650313141818], [0.41809884672577885, -0.5677696061279298], [-0.45264929211044586, -0.2155971630897659]], dtype=torch.float64), 'drift': torch.tensor([[-2.019986129147251, -0.23193237764418947], [-0.8652130762749417, 3.3229995166448827], [0.22578661322792176, -0.3526307943415954]], dtype=torch.float64), 'g': 0.0, 'dt': -0.1, 'noise': torch.tensor([[-0.2812874181513504, -0.6680463461089501], [-1.0551505512051214, -0.39080097723465473], [0.48194538850678587, -0.2385536065733667]], dtype=torch.float64)}, outputs=[torch.tensor([[2.2429177342999074, -2.532471793549763], [0.504620154353273, -0.900069557792418], [-0.47522795343323804, -0.18033408365560635]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('em_drift_abs_dt', "the drift is multiplied by |dt|: only the noise's scale uses |dt|; the drift term is drift * dt, negative when the step goes back in time.", (torch.tensor([[1.8389205084704574, -2.5788582690786006], [0.3315775390982847, -0.23546965446344154], [-0.4300706307876537, -0.2508602425239254]], dtype=torch.float64),))])), ('euler_maruyama_step', dict(what='float32 data', inputs={'x': torch.tensor([[-0.6517911553382874, -0.17471729218959808], [1.6637239456176758, 0.6591477394104004], [-1.64139723777771, -0.00520326429978013]], dtype=torch.float32), 'drift': torch.tensor([[-0.6234637498855591, 0.1486315280199051], [-1.6081877946853638, 0.2417718768119812], [0.23538091778755188, 1.575626015663147]], dtype=torch.float32), 'g': 1.0, 'dt': -0.05, 'noise': torch.tensor([[0.3166450262069702, 0.5105466842651367], [-1.4931167364120483, 2.2527291774749756], [-1.9156455993652344, 1.101801872253418]], dtype=torch.float32)}, outputs=[torch.tensor([[-0.5498139875104106, -0.06798715942019655], [1.4102622832559464, 1.1507847031429246], [-2.0815176617649866, 0.1623858233265807]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('em_noise_scaled_by_dt', 'the noise is scaled by |dt|; a Brownian increment over dt has standard deviation sqrt(|dt|).', (torch.tensor([[-0.6047857403755188, -0.1566215455532074], [1.6694774627685547, 0.7596955895423889], [-1.748948574066162, -0.028894465416669846]], dtype=torch.float32),)), ('em_drift_abs_dt', "the drift is multiplied by |dt|: only the noise's scale uses |dt|; the drift term is drift * dt, negative when the step goes back in time.", (torch.tensor([[-0.612160325050354, -0.053123995661735535], [1.249443531036377, 1.1749619245529175], [-2.0579795837402344, 0.3199484348297119]], dtype=torch.float32),))])), ('euler_maruyama_step', dict(what="float32 data, g and dt float64 (B,) tensors (cast to the data's dtype)", inputs={'x': torch.tensor([[-0.8019314408302307, -1.3243589401245117], [-0.24836161732673645, 0.4204452335834503], [1.1360465288162231, 0.10970640182495117]], dtype=torch.float32), 'drift': torch.tensor([[-0.5526472926139832, -0.7847803831100464], [0.7487457990646362, 1.6347830295562744], [0.2727687656879425, -1.2333287000656128]], dtype=torch.float32), 'g': torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64), 'dt': torch.tensor([-0.05, -0.1, -0.02], dtype=torch.float64), 'noise': torch.tensor([[-0.9582651853561401, 1.600019097328186], [0.20288243889808655, -1.7321348190307617], [-0.08369619399309158, -1.1632260084152222]], dtype=torch.float32)}, outputs=[torch.tensor([[-0.8814363809459198, -1.1062323476228255], [-0.25907913681641054, -0.29078219363425484], [1.1069182949696563, -0.194637023614922]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('em_noise_scaled_by_dt', 'the noise is scaled by |dt|; a Brownian increment over dt has standard deviation sqrt(|dt|).', (torch.tensor([[-0.7982557415962219, -1.2451194524765015], [-0.3029479384422302, 0.08375346660614014], [1.1272432804107666, 0.08784393966197968]], dtype=torch.float32),)), ('em_drift_abs_dt', "the drift is multiplied by |dt|: only the noise's scale uses |dt|; the drift term is drift * dt, negative when the step goes back in time.", (torch.tensor([[-0.9367011189460754, -1.1847103834152222], [-0.10932997614145279, 0.03617441654205322], [1.1178290843963623, -0.24397015571594238]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

