# Copyright (c) OpenMMLab. All rights reserved.
from mmengine.optim import OptimWrapper

from mmrazor.utils import print_log


def reinitialize_optim_wrapper_count_status(model,
                                            optim_wrapper: OptimWrapper,
                                            accumulative_counts: int,
                                            verbose: bool = True) -> None:
    """Re-initialise the gradient-accumulation counters of an optim wrapper.

    Algorithms that call ``update_params`` several times per iteration (one
    per sampled subnet) multiply the number of updates; the counters are
    reset so accumulation and the last-iteration check stay correct.

    Args:
        model (nn.Module): The model being trained.
        optim_wrapper (OptimWrapper): The wrapper to reset.
        accumulative_counts (int): The new accumulation count.
        verbose (bool): Log the change. Defaults to True.
    """
    if verbose:
        print_log('Reinitialize count status of optim wrapper')
    original_max_iters = \
        optim_wrapper.message_hub.runtime_info['max_iters']
    new_max_iters = original_max_iters * accumulative_counts
    original_init_iters = \
        optim_wrapper.message_hub.runtime_info['iter']
    new_init_iters = original_init_iters * accumulative_counts

    if verbose:
        print_log(f'original `init_iters`: {original_init_iters}, '
                  f'new `init_iters`: {new_init_iters}; '
                  f'orginal `max_iters`: {original_max_iters}, '
                  f'new `max_iters`: {new_max_iters}')

    optim_wrapper._accumulative_counts = accumulative_counts
    optim_wrapper.initialize_count_status(
        model=model, init_counts=new_init_iters, max_counts=new_max_iters)
