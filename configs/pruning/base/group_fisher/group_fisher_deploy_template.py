#############################################################################
"""Group Fisher pruning: the deploy model (template).

Copy this file and fill in the arguments below.

_base_ (str): The config of the original (unpruned) model.
fix_subnet (dict | str): The structure of the pruned model,
    ``{unit_name: channels}``: the ``fix_subnet.json`` written by the
    finetune step into its work_dir (or its content).
divisor (int): Make the channel numbers divisible by it (with zero
    weights; the narrow finetune checkpoint loads into the widened model).
"""

_base_ = ''
fix_subnet = {}
divisor = 8
##############################################################################

architecture = _base_.model

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='GroupFisherDeploySubModel',
    architecture=architecture,
    fix_subnet=fix_subnet,
    divisor=divisor,
)
