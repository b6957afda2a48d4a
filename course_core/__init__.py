"""Reference implementations for the diffusion-models course; one module per topic.

- ``schedules``: beta / alpha / alpha_bar schedules (hw2).
- ``ddpm``: forward process, reverse step and sampler, L_simple, variational bound (hw2).
- ``ddim``: timestep subsequences, the generalized reverse step, sampling, inversion, respacing (hw3).
- ``guidance``: classifier and classifier-free guidance, label dropout, a class-conditional mixture oracle (hw4).
- ``gmm``: Gaussian mixtures with exact scores and denoisers (hw1, and the oracle for tests).
- ``score``: Tweedie, denoising score matching, Langevin dynamics (hw1).
- ``sde``: VP / VE SDEs, the reverse SDE, the probability-flow ODE, Euler–Maruyama, Karras's Euler and Heun
  samplers, likelihoods through the ODE, Gaussian-data oracles (exam practice, and a later SDE homework).
- ``priors``: Gaussian conditioning and KL, the Gaussian posterior (Wiener), Tikhonov, soft thresholding, ISTA, the
  Laplace MAP and MMSE, flow log-densities (exam practice, and a later image-priors homework).
- ``red_pnp``: a denoiser as a prior: the RED regularizer, gradient and step, the data prox, PnP-HQS and PnP-ADMM
  (exam practice, and a later RED/PnP homework).
- ``consistency``: consistency models' boundary-condition scalings c_skip, c_out, and multistep re-noising (practice).
- ``toy``: student support module (toy data, a small MLP, a training loop, plots); self-contained.

Conventions are in ``docs/API.md``; the notation table is ``docs/notation.md``.
"""
