from otter.test_files import test_case

OK_FORMAT = False

name = "wiener"
points = 2.5

@test_case(points=None, hidden=False)
def test_wiener(gaussian_posterior):
    """The public cases of wiener: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'gaussian_posterior': gaussian_posterior}
    cases = [('gaussian_posterior', dict(what='3 random measurements of 4 coordinates, sigma_y = 0.5', inputs={'y': torch.tensor([[-0.6615861100167054, -0.1489788645933131, 0.38686221885475636], [0.22713226547654342, -0.7254454450729044, -0.6838906635029195]], dtype=torch.float64), 'H': torch.tensor([[0.172792096032393, 0.4108090717505792, 0.16521853809169357, -0.6515786158021805], [0.45267793333655887, 0.22318728618200565, -0.2684766176801426, 0.29055905209817656], [0.18228619809303787, 0.147066248327763, 0.014211120657898394, 0.27335649330622347]], dtype=torch.float64), 'sigma_y': 0.5, 'mean': torch.tensor([-0.17477209205516195, -0.42219041157635356, 0.2136429974986111, 0.21732193102256359], dtype=torch.float64), 'cov': torch.tensor([[2.809333137709769, -0.6350693387729742, -0.174696087160157, 0.28254094321780665], [-0.6350693387729742, 1.2595580300024065, 0.4843647185217612, -0.19496821949265106], [-0.174696087160157, 0.4843647185217612, 0.8032800620818348, -0.014920179001243067], [0.28254094321780665, -0.19496821949265106, -0.014920179001243067, 0.5291299790452553]], dtype=torch.float64)}, outputs=[torch.tensor([[-0.02237731857880154, -0.5926744808568366, 0.21134942393471456, 0.5156735094295761], [-1.096829485091583, -0.037084592967408125, 0.36410947520248427, -0.32157733999977867]], dtype=torch.float64), torch.tensor([[0.9888932407041557, -0.4560553089078665, 0.022684666263430797, -0.057843297902994806], [-0.4560553089078665, 0.7448819042447713, 0.1930240031967057, 0.10891272841697416], [0.022684666263430825, 0.1930240031967057, 0.6179348541736394, 0.14159470363493212], [-0.057843297902994806, 0.10891272841697422, 0.14159470363493218, 0.2655386794478359]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), known=[('noise_std_not_squared', 'the noise enters the covariance of y as sigma_y, not as the variance sigma_y**2.', (torch.tensor([[-0.03106487493761037, -0.5814294012286857, 0.17353632935167396, 0.425483023172984], [-0.9381078001558909, -0.09144533394849452, 0.37291879233776054, -0.18271875754778666]], dtype=torch.float64), torch.tensor([[1.3535795756240958, -0.4850750128596215, -0.016125198398733803, 0.0010040439829256398], [-0.4850750128596216, 0.8700706966442973, 0.2675985626762286, 0.04533715050341178], [-0.016125198398733803, 0.2675985626762286, 0.670513441979656, 0.11387110364318581], [0.0010040439829256953, 0.04533715050341175, 0.11387110364318581, 0.32714269146896424]], dtype=torch.float64))), ('prior_covariance_returned', "the returned covariance is the prior's: the posterior covariance is the prior's minus what the measurement explains (it depends on H and sigma_y).", (torch.tensor([[-0.02237731857880154, -0.5926744808568366, 0.21134942393471456, 0.5156735094295761], [-1.096829485091583, -0.037084592967408125, 0.36410947520248427, -0.32157733999977867]], dtype=torch.float64), torch.tensor([[2.809333137709769, -0.6350693387729742, -0.174696087160157, 0.28254094321780665], [-0.6350693387729742, 1.2595580300024065, 0.4843647185217612, -0.19496821949265106], [-0.174696087160157, 0.4843647185217612, 0.8032800620818348, -0.014920179001243067], [0.28254094321780665, -0.19496821949265106, -0.014920179001243067, 0.5291299790452553]], dtype=torch.float64)))])), ('gaussian_posterior', dict(what='denoising (H = I), sigma_y = 1', inputs={'y': torch.tensor([[0.09142653073318575, -0.29060646546244895, -0.32870034245259866], [-2.6076142335670713, 2.092977618058713, 1.050998908039483]], dtype=torch.float64), 'H': torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64), 'sigma_y': 1.0, 'mean': torch.tensor([-0.3288239040579627, -0.7921467553588982, 0.45495807124085547], dtype=torch.float64), 'cov': torch.tensor([[0.5252848363897258, -0.33668451304936564, -0.029216060026452478], [-0.33668451304936564, 0.8067671903691549, 0.024770939659680635], [-0.029216060026452478, 0.024770939659680635, 0.40438261597311237]], dtype=torch.float64)}, outputs=[torch.tensor([[-0.25044819188004375, -0.6395406888668397, 0.22835127650890003], [-1.4234330531772224, 0.7219514958568461, 0.6754017474040562]], dtype=torch.float64), torch.tensor([[0.31605874782704885, -0.12728568021631492, -0.011983260532038988], [-0.12728568021631492, 0.42270273611746, 0.007534563227481604], [-0.011983260532038992, 0.007534563227481604, 0.2875611457374787]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), known=[('prior_covariance_returned', "the returned covariance is the prior's: the posterior covariance is the prior's minus what the measurement explains (it depends on H and sigma_y).", (torch.tensor([[-0.25044819188004375, -0.6395406888668397, 0.22835127650890003], [-1.4234330531772224, 0.7219514958568461, 0.6754017474040562]], dtype=torch.float64), torch.tensor([[0.5252848363897258, -0.33668451304936564, -0.029216060026452478], [-0.33668451304936564, 0.8067671903691549, 0.024770939659680635], [-0.029216060026452478, 0.024770939659680635, 0.40438261597311237]], dtype=torch.float64)))])), ('gaussian_posterior', dict(what='more measurements than unknowns (m = 5, d = 2)', inputs={'y': torch.tensor([[0.6465472858715817, 0.09108338413492392, 0.12607442355322793, -0.33623567521027986, -0.6793902355098524], [0.7413653633495568, 0.19232097237572895, 0.6556221183586926, 0.6748676244698217, -1.5491963803300344]], dtype=torch.float64), 'H': torch.tensor([[1.443147750584753, -1.807128074083588], [0.29564052972607313, -0.4014737386446743], [-0.32007138395058665, -0.1524502160253555], [-1.428345889822786, -0.16400095700892559], [-0.6117980334052848, 2.3497154920992163]], dtype=torch.float64), 'sigma_y': 0.3, 'mean': torch.tensor([-0.1828389745977349, 0.5405251317548021], dtype=torch.float64), 'cov': torch.tensor([[2.2086304103142615, -0.37077580338105093], [-0.37077580338105093, 0.8319766927285017]], dtype=torch.float64)}, outputs=[torch.tensor([[0.2170566808701569, -0.20489387333623754], [-0.42099952901119075, -0.749726094445351]], dtype=torch.float64), torch.tensor([[0.02907779903643304, 0.012318500028522306], [0.012318500028522528, 0.015092308930214515]], dtype=torch.float64)], dtypes=['float64', 'float64'], tol=(1e-06, 1e-08), known=[('noise_std_not_squared', 'the noise enters the covariance of y as sigma_y, not as the variance sigma_y**2.', (torch.tensor([[0.23784830362847842, -0.17673151495766903], [-0.3506116747028306, -0.6824592176721298]], dtype=torch.float64), torch.tensor([[0.09138233754516367, 0.03714229452848783], [0.03714229452848811, 0.047052357800641764]], dtype=torch.float64))), ('prior_covariance_returned', "the returned covariance is the prior's: the posterior covariance is the prior's minus what the measurement explains (it depends on H and sigma_y).", (torch.tensor([[0.2170566808701569, -0.20489387333623754], [-0.42099952901119075, -0.749726094445351]], dtype=torch.float64), torch.tensor([[2.2086304103142615, -0.37077580338105093], [-0.37077580338105093, 0.8319766927285017]], dtype=torch.float64)))])), ('gaussian_posterior', dict(what='float32 inputs', inputs={'y': torch.tensor([[-1.2301298379898071, -0.22012197971343994], [0.9508097171783447, 0.5400325059890747]], dtype=torch.float32), 'H': torch.tensor([[-0.3763118088245392, -0.10087307542562485, 0.9605515003204346], [0.38055911660194397, -0.9476611614227295, -0.003004105994477868]], dtype=torch.float32), 'sigma_y': 0.5, 'mean': torch.tensor([-1.9156455993652344, 1.101801872253418, -0.32990407943725586], dtype=torch.float32), 'cov': torch.tensor([[0.8526173233985901, -0.41963064670562744, 0.7375770211219788], [-0.41963064670562744, 1.0848913192749023, -0.6725975275039673], [0.7375770211219788, -0.6725975275039673, 1.681074619293213]], dtype=torch.float32)}, outputs=[torch.tensor([[-1.4469473176996954, 0.12252727230110094, -1.346849595739232], [-0.9382379590241324, -0.542083376938967, 0.6453736167235059]], dtype=torch.float64), torch.tensor([[0.5268233327971095, 0.10643527721765833, 0.2423922069711132], [0.10643527721765833, 0.22539985527563489, 0.048918921325402875], [0.24239220697111324, 0.048918921325402875, 0.3215450263791788]], dtype=torch.float64)], dtypes=['float32', 'float32'], tol=(0.0001, 1e-05), known=[('noise_std_not_squared', 'the noise enters the covariance of y as sigma_y, not as the variance sigma_y**2.', (torch.tensor([[-1.548152208328247, 0.3372212052345276, -1.102066993713379], [-1.0610792636871338, -0.32286906242370605, 0.6208226680755615]], dtype=torch.float32), torch.tensor([[0.5629229545593262, 0.045920222997665405, 0.2799704670906067], [0.04592019319534302, 0.32887667417526245, 0.0017313957214355469], [0.27997052669525146, 0.0017313361167907715, 0.4835360050201416]], dtype=torch.float32))), ('prior_covariance_returned', "the returned covariance is the prior's: the posterior covariance is the prior's minus what the measurement explains (it depends on H and sigma_y).", (torch.tensor([[-1.4469473361968994, 0.12252742052078247, -1.3468495607376099], [-0.9382379055023193, -0.5420833826065063, 0.6453735828399658]], dtype=torch.float32), torch.tensor([[0.8526173233985901, -0.41963064670562744, 0.7375770211219788], [-0.41963064670562744, 1.0848913192749023, -0.6725975275039673], [0.7375770211219788, -0.6725975275039673, 1.681074619293213]], dtype=torch.float32)))]))]
    depends = []
    run_cases(functions, cases, depends)

