# The digits DARTS search, second order (`unroll=True`: virtual step of the
# weights plus the finite-difference Hessian-vector product).
#   python tools/train.py configs/nas/mmcls/darts/digits/<this>.py
_base_ = ['./darts_supernet_1xb32_digits.py']

model = dict(unroll=True)
