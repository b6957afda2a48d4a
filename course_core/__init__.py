"""Reference implementations for the diffusion-models course; one module per topic.

- ``schedules``: beta / alpha / alpha_bar schedules (hw2).
- ``ddpm``: forward process, reverse step and sampler, L_simple, variational bound (hw2).
- ``ddim``: timestep subsequences, the generalized reverse step, sampling, inversion, respacing (hw3).
- ``guidance``: classifier and classifier-free guidance, label dropout, a class-conditional mixture oracle (hw4).
- ``gmm``: Gaussian mixtures with exact scores and denoisers (hw1, and the oracle for tests).
- ``score``: Tweedie, denoising score matching, Langevin dynamics (hw1).
- ``toy``: student support module (toy data, a small MLP, a training loop, plots); self-contained.

Conventions are in ``docs/API.md``; the notation table is ``docs/notation.md``.
"""
