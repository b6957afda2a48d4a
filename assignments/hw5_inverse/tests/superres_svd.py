from otter.test_files import test_case

OK_FORMAT = False

name = "superres_svd"
points = 3

@test_case(points=None, hidden=False)
def test_superres_svd(sr_V_T, sr_V, sr_singulars):
    """The public cases of superres_svd: the grader runs exactly these (and hidden ones besides)."""
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
    functions = {'sr_V_T': sr_V_T, 'sr_V': sr_V, 'sr_singulars': sr_singulars}
    cases = [('sr_V_T', dict(what='(1, 4, 4) images, factor 2', inputs={'x': torch.tensor([[[[-1.1575496471201177, 0.2897558023277514, 0.7808540692250985, 0.5439736447085796], [-0.9613826412454365, 1.071008665601581, 0.7014556601104507, 0.7049734550988194], [0.7450626026618294, 1.1043472383723143, 2.242972395734681, -0.6114931227230745], [0.04721118309074067, 1.7542346824437531, -1.3379798662995022, 0.3255744688871539]]], [[[-0.6891177159876936, -0.019821809991921974, 0.4747532459975647, -1.9311014161570534], [-0.992478278066638, -1.4054710825938028, -0.23109550849022736, -0.6888470849596248], [1.5151057798585295, -0.6031715465509421, 1.7136844875562847, -0.40624919079488403], [0.2714095207976621, 0.0398402000868698, 0.011518318252040626, -1.127178008332383]]]], dtype=torch.float64), 'shape': (1, 4, 4), 'factor': 2}, outputs=[torch.tensor([[-0.37908391021811094, 1.3656284145714739, 1.8254278532843187, 0.30953693779962904, -0.4887099345742554, -1.7398483781474432, 0.2925429286995742, -0.04080070063779606, 0.11668131476407512, 0.1201991097524438, 0.023981987749824962, -1.0331540675317488, 0.6738694318212638, 1.3219423352119772, 0.5954555916355497, 2.259009926822206], [-1.553444443320028, -1.1881453818046703, 0.6115919770960597, 0.09588780334052915, 0.8445049173404127, -0.1281515507343034, -0.5411443552614682, -0.2682027883548183, 1.4318031193120075, 0.9740515428426104, 0.3003422562115277, 1.174923323560132, 0.9433540028493396, 1.2115474934208716, 1.629315002467796, 0.4906186758833726]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sr_mean_not_normalised', "each block's observed coordinate is the block's mean; in an orthonormal basis it is the projection on ones / sqrt(q), which is sqrt(q) = f times the mean (V must be orthogonal: V(V^T x) = x).", (torch.tensor([[-0.18954195510905547, 0.6828142072857369, 0.9127139266421593, 0.15476846889981452, -0.4887099345742554, -1.7398483781474432, 0.2925429286995742, -0.04080070063779606, 0.11668131476407512, 0.1201991097524438, 0.023981987749824962, -1.0331540675317488, 0.6738694318212638, 1.3219423352119772, 0.5954555916355497, 2.259009926822206], [-0.776722221660014, -0.5940726909023352, 0.30579598854802986, 0.04794390167026458, 0.8445049173404127, -0.1281515507343034, -0.5411443552614682, -0.2682027883548183, 1.4318031193120075, 0.9740515428426104, 0.3003422562115277, 1.174923323560132, 0.9433540028493396, 1.2115474934208716, 1.629315002467796, 0.4906186758833726]], dtype=torch.float64),)), ('block_pixels_column_major', "the pixels inside each block are taken column by column; the convention lists a block's pixels in row-major order (row by row) before applying Q^T, so the null coordinates come out permuted.", (torch.tensor([[-0.37908391021811094, 1.365628414571474, 1.8254278532843187, 0.3095369377996291, -1.7398483781474432, -0.4887099345742554, 0.2925429286995742, 0.11668131476407512, -0.040800700637796006, 0.1201991097524438, -1.0331540675317488, 0.023981987749824962, 0.6738694318212638, 0.5954555916355497, 1.3219423352119772, 2.2590099268222055], [-1.553444443320028, -1.1881453818046703, 0.6115919770960597, 0.09588780334052915, -0.1281515507343033, 0.8445049173404127, -0.5411443552614682, 1.4318031193120078, -0.2682027883548183, 0.9740515428426104, 1.174923323560132, 0.3003422562115277, 0.9433540028493396, 1.6293150024677963, 1.2115474934208716, 0.4906186758833726]], dtype=torch.float64),))])), ('sr_V_T', dict(what='(2, 2, 4) images (two channels, not square), factor 2', inputs={'x': torch.tensor([[[[-0.7901524999630146, -2.0346254818318728, 0.6033017469247647, 0.7442945298799118], [-0.30968679986627135, 0.36732137294554024, 1.7103942914776449, 1.0607978400658138]], [[0.7076390208060754, 0.687749388505445, -0.8635674537523599, 0.9640167316735617], [-1.6484628156748702, -0.3320918127686623, -0.4372938409341125, -1.7285187058460105]]]], dtype=torch.float64), 'shape': (2, 2, 4), 'factor': 2}, outputs=[torch.tensor([[-1.383571704357809, 2.0593942041740676, -0.2925831095660061, -1.0326816344294607, -1.4412062774370782, 0.28373240452852333, 0.9607405773403349, -0.7117979273693911, 0.25430183422834196, -0.3952946171834891, 1.6879715188775264, -0.6482406853027887, 0.6681303176034192, 1.1331309123506625, -0.2681796602570118, -1.55940452516891]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sr_mean_not_normalised', "each block's observed coordinate is the block's mean; in an orthonormal basis it is the projection on ones / sqrt(q), which is sqrt(q) = f times the mean (V must be orthogonal: V(V^T x) = x).", (torch.tensor([[-0.6917858521789045, 1.0296971020870338, -0.14629155478300304, -0.5163408172147304, -1.4412062774370782, 0.28373240452852333, 0.9607405773403349, -0.7117979273693911, 0.25430183422834196, -0.3952946171834891, 1.6879715188775264, -0.6482406853027887, 0.6681303176034192, 1.1331309123506625, -0.2681796602570118, -1.55940452516891]], dtype=torch.float64),)), ('block_pixels_column_major', "the pixels inside each block are taken column by column; the convention lists a block's pixels in row-major order (row by row) before applying Q^T, so the null coordinates come out permuted.", (torch.tensor([[-1.3835717043578093, 2.0593942041740676, -0.292583109566006, -1.0326816344294607, 0.2837324045285232, -1.4412062774370782, 0.9607405773403348, 0.25430183422834185, -0.7117979273693911, -0.39529461718348924, -0.6482406853027887, 1.6879715188775264, 0.6681303176034192, -0.2681796602570118, 1.1331309123506625, -1.55940452516891]], dtype=torch.float64),))])), ('sr_V', dict(what='the inverse of sr_V_T, (1, 6, 6) images, factor 3', inputs={'z': torch.tensor([[0.6257293982571508, 2.164325358952666, 0.9555405586957074, -1.0802324230246478, -0.5936751273756264, 0.8612190556690689, -0.04393442340863364, 1.1924864710821501, -1.942232859371308, 2.1129201593831803, 1.8849826072080755, -1.4481993417672274, -0.2959681857860406, -0.6036165972136037, -0.36899399285040124, 0.9958378280721536, -0.4863540769292705, -0.8890433114118423, 0.7570265703060689, 1.4062239157918979, -0.3881492789262264, 0.36029010775778963, -1.3893371328040796, 1.0793264421140967, 2.3906730141718127, 0.6863955531246578, 0.01735527512890846, -2.000952600015396, -0.24252450183674057, -2.0222524596711384, 0.8765379207703655, 1.909386144303365, 1.5110178374701178, 0.2511808880888286, 0.5859535803285394, -0.6161660912785262]], dtype=torch.float64), 'shape': (1, 6, 6), 'factor': 3}, outputs=[torch.tensor([[0.8830986465589434, -0.7223597515265228, 0.7325344315181725, 0.8931458363105426, 0.339621575535021, 0.031973164107457874, -0.1726190475595299, 1.0638018469312538, -2.070917483522204, 0.2665957684706605, 1.6314275893932153, 0.1492356843917912, 1.984235535232284, 1.7562979830571792, -1.5768839659181237, -0.25345355009078063, 1.3926163316271307, 2.04181367711296, 0.5703806464157569, -0.19556932278625117, 0.5528700638977648, 0.3909669650500545, -0.9781241958740915, -2.7578521537084892, -1.1967571766641043, 1.271906398254072, 2.583252970311788, 0.14093822673301454, 1.173786450266014, 0.7754181434327667, 0.878975509264633, 0.2099352312688837, -1.8083726438754206, -0.4844188059485225, -0.14964611370881173, -1.351765785315877]], dtype=torch.float64)], dtypes=['float64'], tol=(1e-06, 1e-08), known=[('sr_V_reads_blocks_interleaved', 'this reads z as the q coordinates of block 0, then of block 1, ...; in the spectral layout the m observed coordinates (one per block) come first, then the q - 1 null coordinates of each block.', (torch.tensor([[0.7130753364921756, 2.1206523898351537, 0.9118675895781949, 0.3005216962350076, 2.791181838782162, -0.5420001101931414, -1.1239053921421605, -0.6373480964931388, 0.8175460865515565, 0.6102310457880455, 0.3025826343604824, 0.5372052387236849, -0.08760739252614613, 1.1488135019646375, -1.9859058284888207, 1.9020370596462395, 0.4198451546448156, 0.017155920162243765, 1.639934822221642, 0.9647697898341114, -0.8296034048840129, 0.08406023938647195, -1.285030921537674, -3.0647588793720715, -0.08116401819999683, -1.830791258761866, 0.6378723161563102, -0.1659684989305681, 0.8668797246024316, 0.46851141776918415, 1.9492188882140262, 0.2449414271668714, -0.42409885082887794, -0.791325531612105, -0.4565528393723942, -1.6586725109794598]], dtype=torch.float64),))])), ('sr_singulars', dict(what='(3, 4, 4), factor 2', inputs={'shape': (3, 4, 4), 'factor': 2}, outputs=[torch.tensor([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], dtype=torch.float64)], dtypes=['float64'], tol=(1e-10, 1e-12), known=[('singulars_one_over_q', 'these are 1/f**2, the weight of each pixel in the block mean; the singular value is the norm of the row of H, sqrt(q) / q = 1/f.', (torch.tensor([0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25], dtype=torch.float64),))])), ('sr_V_T', dict(what='float32 data, factor 2', inputs={'x': torch.tensor([[[[1.1033480167388916, -1.279784083366394], [0.6481524705886841, -1.199580430984497]]], [[[1.071800708770752, -1.5560715198516846], [-0.7105309367179871, -0.6066608428955078]]]], dtype=torch.float32), 'shape': (1, 2, 2), 'factor': 2}, outputs=[torch.tensor([[-0.3639320135116577, 0.18749594688415527, 2.1154325008392334, 0.26769959926605225], [-0.9007312953472137, 0.41646048426628113, 1.2620010673999786, 1.3658711612224579]], dtype=torch.float64)], dtypes=['float32'], tol=(0.0001, 1e-05), known=[('sr_mean_not_normalised', "each block's observed coordinate is the block's mean; in an orthonormal basis it is the projection on ones / sqrt(q), which is sqrt(q) = f times the mean (V must be orthogonal: V(V^T x) = x).", (torch.tensor([[-0.18196600675582886, 0.18749594688415527, 2.1154322624206543, 0.26769953966140747], [-0.45036566257476807, 0.41646048426628113, 1.2620010375976562, 1.3658711910247803]], dtype=torch.float32),)), ('block_pixels_column_major', "the pixels inside each block are taken column by column; the convention lists a block's pixels in row-major order (row by row) before applying Q^T, so the null coordinates come out permuted.", (torch.tensor([[-0.3639320135116577, 2.1154325008392334, 0.18749594688415527, 0.26769959926605225], [-0.9007313251495361, 1.2620010375976562, 0.4164605140686035, 1.3658711910247803]], dtype=torch.float32),))]))]
    depends = []
    run_cases(functions, cases, depends)

