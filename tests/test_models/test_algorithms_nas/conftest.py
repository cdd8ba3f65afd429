# Copyright (c) OpenMMLab. All rights reserved.
# Work around a foundation issue: the first `BaseModule.init_weights` in a
# process where mmpretrain is not imported yet iterates MODEL_WRAPPERS'
# children while the mmcls alias registry imports mmpretrain (which adds a
# child): "dictionary changed size during iteration".
import mmpretrain.registry  # noqa: F401
