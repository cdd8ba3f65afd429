# Copyright (c) OpenMMLab. All rights reserved.
"""Automatic channel-dependency analysis for pruning."""
import copy
import functools
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from mmrazor.registry import TASK_UTILS
from mmrazor.utils import print_log
from .unit_pruner import UnitPruner, prepare_check_classes


class AnalysisResult(dict):
    """The unit configs (a plain ``{unit_name: unit_cfg}`` dict) with the
    analysis report attached as ``.report``."""

    report: 'ChannelAnalysisReport'


def _reason(error: BaseException) -> str:
    """``'Type: message'`` of an error, shortened for the report."""
    return f'{type(error).__name__}: {str(error)[:200]}'


class ChannelAnalysisReport:
    """What the analysis found and what it could not handle.

    Attributes:
        unsupported (list): ``{'node', 'op', 'module', 'reason'}`` for every
            op whose channel behaviour is unknown (its channels are kept).
        rejected (list): ``{'unit', 'num_channels', 'reasons'}`` for channel
            groups that can not be pruned.
        dropped (list): ``{'unit', 'reason'}`` for units removed because a
            pruned forward failed.
        notes (list): Other remarks (e.g. parts of a model not traced).
        num_units (int): Number of prunable units.
        prunable_channels / total_channels (int): Channel counts.
        time (float): Wall time of the analysis in seconds.
    """

    def __init__(self) -> None:
        self.unsupported: List[Dict] = []
        self.rejected: List[Dict] = []
        self.dropped: List[Dict] = []
        self.notes: List[str] = []
        self.num_units = 0
        self.prunable_channels = 0
        self.total_channels = 0
        self.time = 0.0

    @property
    def prunable_share(self) -> float:
        if not self.total_channels:
            return 0.0
        return self.prunable_channels / self.total_channels

    @property
    def all_supported(self) -> bool:
        return not self.unsupported and not self.dropped

    def format(self, max_rows: int = 30) -> str:
        """A human-readable summary."""
        lines = [
            f'channel analysis: {self.num_units} prunable units, '
            f'{self.prunable_channels}/{self.total_channels} channels '
            f'({100 * self.prunable_share:.1f} %) prunable, '
            f'{len(self.unsupported)} unsupported ops, '
            f'{len(self.rejected)} non-prunable groups, '
            f'{self.time:.2f} s'
        ]
        if self.unsupported:
            lines.append('unsupported ops (their channels are kept):')
            lines.append('  node | op | module | reason')
            for u in self.unsupported[:max_rows]:
                lines.append(f"  {u['node']} | {u['op']} | "
                             f"{u['module'] or '-'} | {u['reason']}")
            if len(self.unsupported) > max_rows:
                lines.append(f'  ... {len(self.unsupported) - max_rows} '
                             'more')
        for d in self.dropped:
            lines.append(f"dropped unit {d['unit']}: {d['reason']}")
        for n in self.notes:
            lines.append(f'note: {n}')
        return '\n'.join(lines)

    def to_dict(self) -> Dict:
        return dict(
            unsupported=self.unsupported,
            rejected=self.rejected,
            dropped=self.dropped,
            notes=self.notes,
            num_units=self.num_units,
            prunable_channels=self.prunable_channels,
            total_channels=self.total_channels,
            time=self.time)


class _Forward(nn.Module):
    """Wraps a model so that its demo forward takes one tensor."""

    def __init__(self, model: nn.Module, data: Any, mode: str) -> None:
        super().__init__()
        self.model = model
        self._data = data
        self._mode = mode

    def forward(self, inputs):
        if self._mode == 'plain':
            return self.model(inputs)
        if self._mode == 'two_stage':
            feats = self.model.extract_feat(inputs)
            return feats, self.model.rpn_head(feats)
        if self._mode == 'features':
            return self.model.extract_feat(inputs)
        return self.model(
            inputs,
            self._data.get('data_samples'),
            mode=self._data.get('mode', 'tensor'))


def _wrap(model: nn.Module,
          data: Any) -> Tuple[_Forward, torch.Tensor, List[str]]:
    notes = []
    if isinstance(data, dict):
        inputs = data['inputs']
        mode = 'mm'
        if hasattr(model, 'roi_head') and hasattr(model, 'rpn_head') and \
                hasattr(model, 'extract_feat'):
            mode = 'two_stage'
            notes.append('two-stage detector: backbone, neck and rpn_head '
                         'are analysed; roi_head needs proposals and is '
                         'not traced, so its modules are not pruned')
        elif hasattr(model, 'extract_feat') and isinstance(
                getattr(model, 'decode_head', None), nn.ModuleList):
            # cascade segmentors (PointRend): the cascade heads have no
            # tensor-mode forward
            mode = 'features'
            notes.append('cascade segmentor: backbone and neck are '
                         'analysed; the decode heads are not pruned')
        return _Forward(model, data, mode), inputs, notes
    return _Forward(model, None, 'plain'), data, notes


def _set_training(m: nn.Module, flag: bool) -> None:
    """``m.training = flag`` (straight into the instance dict where the
    flag lives, skipping ``nn.Module.__setattr__``)."""
    d = m.__dict__
    if 'training' in d:
        d['training'] = flag
    else:
        m.training = flag


@functools.lru_cache(maxsize=None)
def _is_sync_bn(cls: type) -> bool:
    return issubclass(cls, nn.SyncBatchNorm) or 'SyncBatchNorm' in cls.__name__


def _revert_sync_bn(model: nn.Module) -> nn.Module:
    try:
        from mmengine.model import revert_sync_batchnorm
        return revert_sync_batchnorm(model)
    except ImportError:  # pragma: no cover
        return model


def _named_modules(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    """``list(model.named_modules())`` by a plain recursion (the nested
    generators cost more than the rest of the walk); any module class
    with its own ``named_modules`` gets the method itself."""
    base = nn.Module.named_modules
    out: List[Tuple[str, nn.Module]] = []
    memo: set = set()

    def walk(m: nn.Module, prefix: str) -> bool:
        if type(m).named_modules is not base:
            return False
        if m in memo:
            return True
        memo.add(m)
        out.append((prefix, m))
        for name, sub in m._modules.items():
            if sub is not None and not walk(
                    sub, prefix + ('.' if prefix else '') + name):
                return False
        return True

    return out if walk(model, '') else list(model.named_modules())


def _structure(out: Any) -> Any:
    if isinstance(out, torch.Tensor):
        return tuple(out.shape)
    if isinstance(out, (list, tuple)):
        return tuple(_structure(o) for o in out)
    if isinstance(out, dict):
        return tuple((k, _structure(v)) for k, v in out.items())
    return type(out).__name__


@TASK_UTILS.register_module()
class ChannelAnalyzer:
    """Finds the channel units of a model for pruning.

    It records the op graph of the model (by default with one eager
    forward, :class:`EagerTracer`; with a torch.fx symbolic trace where
    that can not represent the model, noted in the report), propagates
    channel dependencies through every op (residual adds, concat, split/chunk,
    depthwise and group convs (whole groups), shared modules, flatten into
    Linear, ...) and emits one unit config per group of channels that must
    be pruned together. Ops whose channel behaviour is unknown make the
    channels they touch non-prunable and are listed in the report
    (``result.report``). Finally the candidate units are pruned in the
    model itself (dynamic op classes swapped in by :class:`UnitPruner`
    and swapped back after) and forwarded; units whose pruning breaks the
    forward are dropped (and reported).

    Args:
        demo_input (tuple | dict | BaseDemoInput): Input shape, a demo
            input config or instance. Defaults to ``(1, 3, 224, 224)``.
        tracer_type (str): 'FxTracer' (default: the op graph of the
            forward, recorded by one eager forward, see
            :class:`EagerTracer`, or by a torch.fx symbolic trace, see
            ``symbolic_trace``) or 'BackwardTracer' (walks ``grad_fn``
            back from the summed outputs of the demo forward, see
            :class:`BackwardTracer`; ``leaf_modules`` and
            ``autowrap_functions`` do not apply to it).
        leaf_modules (Sequence[str]): Module paths or class names traced
            as opaque ops (their channels are kept).
        autowrap_functions (Sequence): Functions not traced into (torch.fx
            only: given, the graph comes from the symbolic trace).
        check_forward (bool): Verify the units by a pruned forward.
            Defaults to True.
        progress (bool, optional): Show a progress bar; None shows it for
            graphs of more than 2000 ops.
        verbose (bool): Log the report. Defaults to False.
        symbolic_trace (bool): Record the graph with a torch.fx symbolic
            trace and a recording run instead of the eager tracer (the
            analysis falls back to it, with a note in the report, where
            the eager tracer can not represent the model, e.g. Python
            control flow on tensor values). Defaults to False.
    """

    def __init__(self,
                 demo_input: Union[Sequence[int], Dict,
                                   Any] = (1, 3, 224, 224),
                 tracer_type: str = 'FxTracer',
                 leaf_modules: Sequence[str] = (),
                 autowrap_functions: Sequence = (),
                 check_forward: bool = True,
                 progress: Optional[bool] = None,
                 verbose: bool = False,
                 symbolic_trace: bool = False) -> None:
        from mmrazor.models.task_modules.demo_inputs import build_demo_input
        if tracer_type not in ('FxTracer', 'BackwardTracer'):
            raise ValueError("tracer_type must be 'FxTracer' or "
                             f"'BackwardTracer', got {tracer_type!r}")
        self.demo_input = build_demo_input(demo_input)
        # with 'BackwardTracer', the topology comes from the autograd graph
        # of the demo forward, or of the pseudo loss of `backward_tracer`
        # (a BackwardTracer or its config) when set (see
        # backward_tracer.build_backward_channel_analyzer)
        self.backward_tracer: Any = None
        self.tracer_type = tracer_type
        self.leaf_modules = list(leaf_modules)
        self.autowrap_functions = list(autowrap_functions)
        self.check_forward = check_forward
        self.progress = progress
        self.verbose = verbose
        self.symbolic_trace = symbolic_trace
        self.report: Optional[ChannelAnalysisReport] = None
        if check_forward:
            # the per-class machinery of the check, once per process
            prepare_check_classes()

    # ------------------------------------------------------------------ api
    def analyze(self, model: nn.Module) -> AnalysisResult:
        """Unit configs of ``model``.

        Args:
            model (nn.Module): The model (not modified).

        Returns:
            AnalysisResult: ``{unit_name: {'init_args': {...}, 'channels':
            {...}, 'choice': 1.0}}`` with ``.report`` attached.
        """
        start = time.perf_counter()
        self._expected = None
        self._small_run = None
        from mmrazor.models.algorithms.base import BaseAlgorithm

        # the MRO, not isinstance: the ABC check of a class that is not an
        # algorithm walks every algorithm class (no virtual subclasses)
        if BaseAlgorithm in type(model).__mro__:
            model = model.architecture
        report = ChannelAnalysisReport()
        # eval mode for the analysis; every module's own flag is restored
        # after (exactly, even where train() overrides would differ)
        self._named = _named_modules(model)
        modules = [m for _, m in self._named]
        flags = [m.training for m in modules]
        for m, flag in zip(modules, flags):
            if flag:
                _set_training(m, False)
        try:
            with torch.no_grad():
                data = self.demo_input.get_data(model, training=False)
                graph, notes = self._build_graph(model, data)
            report.notes.extend(notes)
            from mmrazor.structures.graph import ChannelGraph
            progress = self.progress if self.progress is not None else \
                len(graph) > 2000
            cgraph = ChannelGraph(graph, progress=progress).propagate()
            units, rejected = cgraph.generate_units_config()
            report.unsupported = cgraph.unsupported
            report.rejected = rejected
            if self.check_forward and units:
                units = self._check_units(model, data, units, report)
        finally:
            for m, flag in zip(modules, flags):
                if m.training is not flag:
                    _set_training(m, flag)
            self._named = None
        result = AnalysisResult()
        for name, cfg in units.items():
            n = cfg['init_args']['num_channels']
            result[name] = dict(
                init_args=dict(
                    num_channels=n,
                    choice_mode='number',
                    divisor=1,
                    min_value=1,
                    min_ratio=0.9),
                channels=cfg['channels'],
                choice=n)
        report.num_units = len(result)
        report.prunable_channels = sum(c['init_args']['num_channels']
                                       for c in result.values())
        report.total_channels = report.prunable_channels + sum(
            r['num_channels'] for r in report.rejected) + sum(
                d.get('num_channels', 0) for d in report.dropped)
        report.time = time.perf_counter() - start
        result.report = report
        self.report = report
        if self.verbose or report.unsupported:
            print_log(report.format(), logger='current')
        return result

    # ------------------------------------------------------------ internals
    def _build_graph(self, model: nn.Module, data: Any):
        if self.tracer_type == 'BackwardTracer':
            from .backward_tracer import build_graph_by_backward_tracer
            return build_graph_by_backward_tracer(self, model, data)
        if self.symbolic_trace:
            return self._build_fx_graph(model, data)
        if self.autowrap_functions:
            graph, notes = self._build_fx_graph(model, data)
            notes.insert(
                0, 'traced with torch.fx: autowrap_functions only apply '
                'to its symbolic trace')
            return graph, notes
        from .eager_tracer import EagerTraceError
        try:
            return self._build_eager_graph(model, data)
        except EagerTraceError as e:
            self._expected = None
            self._small_run = None
            graph, notes = self._build_fx_graph(model, data)
            notes.insert(
                0, f'the eager tracer can not represent this model ({e}); '
                'traced with torch.fx')
            return graph, notes

    def _named_of(self, model: nn.Module) -> List[Tuple[str, nn.Module]]:
        """``model.named_modules()``, listed once per analysis."""
        named = getattr(self, '_named', None)
        if named and named[0][1] is model:
            return named
        return list(model.named_modules())

    def _leaf_paths(self, model: nn.Module) -> List[str]:
        """``leaf_modules`` as paths under the ``_Forward`` wrapper."""
        if not self.leaf_modules:
            return []
        names = dict(self._named_of(model))
        return [
            'model.' + p if '.' in p or p in names else p
            for p in self.leaf_modules
        ]

    def _build_eager_graph(self, model: nn.Module, data: Any):
        """One eager forward records the graph and its shapes (see
        :class:`EagerTracer`), at the reduced input of
        :meth:`_small_shape` when that runs."""
        from .eager_tracer import EagerTraceError, EagerTracer
        wrapper, inputs, notes = _wrap(model, data)
        tracer = EagerTracer(leaf_modules=self._leaf_paths(model))
        small = self._small_shape()
        if small is not None:
            try:
                with torch.no_grad():
                    if small == tuple(self.demo_input.input_shape):
                        sdata = data  # the demo input itself
                    else:
                        sdata = self.demo_input.get_data(
                            model, input_shape=small, training=False)
                    swrapper, sinputs, _ = _wrap(model, sdata)
                    graph, sout = tracer.trace(
                        swrapper,
                        sinputs,
                        prefix='model.',
                        named_modules=self._wrapper_named(swrapper, model))
                # the unpruned reference of the quick pruned check
                self._small_run = (sdata, _structure(sout))
                return graph, notes
            except EagerTraceError:
                raise
            except Exception as e:  # noqa: BLE001  reported in the notes
                notes.append(
                    f'shape recording at the reduced input {small} failed '
                    f'({_reason(e)}); recorded at the full input size')
        with torch.no_grad():
            graph, out = tracer.trace(
                wrapper,
                inputs,
                prefix='model.',
                named_modules=self._wrapper_named(wrapper, model))
        self._expected = _structure(out)
        return graph, notes

    def _wrapper_named(self, wrapper: nn.Module,
                       model: nn.Module) -> List[Tuple[str, nn.Module]]:
        """``wrapper.named_modules()`` from the model's list."""
        return [('', wrapper)] + [('model.' + p if p else 'model', m)
                                  for p, m in self._named_of(model)]

    def _build_fx_graph(self, model: nn.Module, data: Any):
        """The graph of a torch.fx symbolic trace and a recording run."""
        from mmrazor.structures.graph import ModuleGraph
        from .fx.fx_tracer import (FxTracer, ValueRecorder,
                                   trace_to_traced_module)
        wrapper, inputs, notes = _wrap(model, data)
        leaf = self._leaf_paths(model)
        tracer = FxTracer(
            autowrap_functions=self.autowrap_functions, leaf_module=leaf)
        # no GraphModule: the graph is only interpreted, never compiled
        gm = trace_to_traced_module(wrapper, tracer, prefix='model.')
        recorder = None
        small = self._small_shape()
        if small is not None:
            # a real run at a quarter of the resolution is cheapest; it is
            # only used when it succeeds (resolution-dependent graphs, e.g.
            # a flatten into Linear without pooling, fail and fall back)
            try:
                with torch.no_grad():
                    sdata = self.demo_input.get_data(
                        model, input_shape=small, training=False)
                    _, sinputs, _ = _wrap(model, sdata)
                    rec = ValueRecorder(gm, shape_only_convs=True)
                    sout = rec.run(sinputs)
                recorder = rec
                # the unpruned reference of the quick pruned check
                self._small_run = (sdata, _structure(sout))
            except Exception as e:  # noqa: BLE001  reported in the notes
                recorder = None
                notes.append(
                    f'shape recording at the reduced input {small} failed '
                    f'({_reason(e)}); recorded at the full input size')
        if recorder is None:
            recorder = ValueRecorder(gm, shape_only_convs=True)
            try:
                # shapes only: run on fake tensors (no compute)
                from torch._subclasses.fake_tensor import FakeTensorMode
                with FakeTensorMode(allow_non_fake_inputs=True):
                    out = recorder.run(inputs)
            except Exception as e:  # noqa: BLE001  reported in the notes
                notes.append('shape recording on fake tensors failed '
                             f'({_reason(e)}); recorded with a real forward')
                recorder = ValueRecorder(gm, shape_only_convs=True)
                out = recorder.run(inputs)
            self._expected = _structure(out)
        graph = ModuleGraph.init_from_fx_graph(
            gm, recorder.values, prefix='model.')
        return graph, notes

    def _small_shape(self) -> Optional[tuple]:
        """The shape of the quick real run: a quarter of the demo
        resolution from 128 on, the demo resolution itself below (already
        cheap; a quarter could vanish in the downsampling)."""
        shape = tuple(self.demo_input.input_shape)
        if len(shape) != 4:
            return None
        if min(shape[2:]) < 128:
            return shape
        return (shape[0], shape[1], shape[2] // 4, shape[3] // 4)

    def _fast_check(self, pruner: Any, run: Any) -> bool:
        """A pruned forward at the quick-run resolution (see
        :meth:`_small_shape`; only when no unit feeds a flattened Linear,
        whose size depends on the resolution); True when it passes."""
        small = self._small_shape()
        if small is None or pruner.flattened:
            return False
        recorded = getattr(self, '_small_run', None)
        try:
            with torch.no_grad():
                if recorded is not None:
                    # the recording run was at this resolution
                    data, ref = recorded
                    wrapper, inputs, _ = _wrap(pruner.model, data)
                else:
                    data = self.demo_input.get_data(
                        pruner.model, input_shape=small, training=False)
                    wrapper, inputs, _ = _wrap(pruner.model, data)
                    pruner.set_choices({})
                    ref = _structure(wrapper(inputs))
                return run(wrapper, inputs, ref) is None
        except Exception as e:  # noqa: BLE001  reported in the notes
            self._fast_check_failure = (
                'the quick pruned check at the reduced input failed '
                f'({_reason(e)}); every unit was checked at full size')
            return False

    def _check_units(self, model: nn.Module, data: Any, units: Dict,
                     report: ChannelAnalysisReport) -> Dict:
        named = self._named_of(model)
        has_sync_bn = any(_is_sync_bn(type(m)) for _, m in named)
        if has_sync_bn:
            model = _revert_sync_bn(copy.deepcopy(model))
            named = list(model.named_modules())
        # prune the model itself (dynamic op classes swapped in, see
        # UnitPruner) and put the original classes back after: nothing is
        # written to the parameters in eval mode, so no deep copy is needed
        pruner = UnitPruner(model, units, named_modules=dict(named))
        pruner.apply()
        try:
            return self._check_units_on(pruner, data, units, report)
        finally:
            pruner.restore()

    def _check_units_on(self, pruner: Any, data: Any, units: Dict,
                        report: ChannelAnalysisReport) -> Dict:
        wrapper, inputs, _ = _wrap(pruner.model, data)
        for name, err in pruner.failed.items():
            report.dropped.append(
                dict(
                    unit=name,
                    num_channels=units[name]['init_args']['num_channels'],
                    reason=f'preparing failed: {err}'))
        names = list(pruner.num_channels)
        # distinct choices so that wrongly separated units clash
        choice = {}
        for i, name in enumerate(names):
            n = pruner.num_channels[name]
            ratio = 0.35 + 0.45 * ((i * 7919) % 97) / 97
            choice[name] = max(1, min(n - 1, int(round(n * ratio)))) \
                if n > 1 else 1
        expected = [getattr(self, '_expected', None)]

        def run_pruned(wrapper, inputs, ref, subset=None) -> Optional[str]:
            if subset is not None:
                pruner.set_choices({n: choice[n] for n in subset})
            else:
                pruner.set_choices(choice)
            try:
                with torch.no_grad():
                    out = wrapper(inputs)
            except Exception as e:  # noqa: BLE001  in report.dropped
                return f'{type(e).__name__}: {str(e)[:200]}'
            if _structure(out) != ref:
                return 'output structure changed when pruned'
            return None

        def run(subset: List[str]) -> Optional[str]:
            if expected[0] is None:
                pruner.set_choices({})
                with torch.no_grad():
                    expected[0] = _structure(wrapper(inputs))
            return run_pruned(wrapper, inputs, expected[0], subset)

        bad: Dict[str, str] = {}

        def bisect(subset: List[str]) -> None:
            err = run(subset)
            if err is None:
                return
            if len(subset) == 1:
                bad[subset[0]] = err
                return
            mid = len(subset) // 2
            bisect(subset[:mid])
            bisect(subset[mid:])

        self._fast_check_failure = None
        if names and not self._fast_check(pruner, run_pruned):
            if self._fast_check_failure:
                report.notes.append(self._fast_check_failure)
            bisect(names)
        if bad:
            # units that only fail together: check the survivors jointly
            rest = [n for n in names if n not in bad]
            err = run(rest)
            if err is not None:
                for n in rest:
                    bad[n] = err
        for name, err in bad.items():
            report.dropped.append(
                dict(
                    unit=name,
                    num_channels=units[name]['init_args']['num_channels'],
                    reason=f'forward failed when pruned ({err})'))
        return {
            n: cfg
            for n, cfg in units.items()
            if n in pruner.num_channels and n not in bad
        }
