# TREAD (Krause et al., 2025) on the Fashion-MNIST DiT of configs/dit/dit_s2_fmnist.py (8 blocks, 64 tokens), for
# the side-by-side comparison with DiT and MDTv2 (issue #18). Half of the tokens (the official selection ratio 0.5,
# fixed) skip blocks 2-5 and rejoin before block 6, which runs outside autocast (official). The official DiT-B/2
# routes blocks 2-8 of 12 (CompVis/tread configs/model/tread.yaml); on 8 blocks this keeps 2 before and 2 after.
# Everything else is the DiT baseline's; validation and sampling see every token.
#   python tools/train.py configs/tread/tread_dit-s2_fmnist.py
_base_ = ['../dit/dit_s2_fmnist.py']
model = dict(
    mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5),
    token_plan=dict(type='TokenRouting', start=2, stop=6),
)
