"""Quantitative X-ray schlieren nanotomography (XSN, seed 004).

Image formation under partially coherent illumination with a pupil knife edge (Eq. 1), its
linearisation into absorption and phase transfer functions (Eqs. 3/10), Tikhonov deconvolution of a
0/180 pair (Eqs. 4/11), the quasi-Newton field reconstruction (Algorithm 1, Eq. 14), scintillator MTF
deconvolution, 0/180 registration, filtered back projection, Fourier ring correlation and the
hyperspectral element densities (Eqs. 17-18). Arrays are (Y, X) images, (Z, Y, X) volumes; SI units.
"""
