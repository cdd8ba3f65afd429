# Copyright (c) OpenMMLab. All rights reserved.
from abc import ABCMeta, abstractmethod
from typing import Any, List, Optional

from torch import nn


class BaseRecorder(metaclass=ABCMeta):
    """Base class for recorders.

    A recorder records intermediate results of a model forward (outputs or
    inputs of a module, a method or a function, or a parameter). It is used
    as a context manager: entering the context clears the buffer and turns
    recording on, leaving it turns recording off (and undoes any patch the
    recorder applied, even when the code inside the context raised).

    Args:
        source (str): The source of the data to record: a module name,
            a parameter name or an import path, depending on the recorder.
    """

    def __init__(self, source: str) -> None:
        if not isinstance(source, str):
            raise TypeError(f'{type(self).__name__}: `source` must be a '
                            f'str, but got {type(source).__name__}')
        self._source = source
        self._data_buffer: List = list()
        self._recording = False
        self._initialized = False

    @property
    def source(self) -> str:
        """str: The source of the recorded data."""
        return self._source

    @property
    def data_buffer(self) -> List:
        """list: The data recorded since the context was last entered."""
        return self._data_buffer

    @property
    def recording(self) -> bool:
        """bool: Whether the recorder is recording now."""
        return self._recording

    @property
    def initialized(self) -> bool:
        """bool: Whether :meth:`initialize` has been called."""
        return self._initialized

    @abstractmethod
    def prepare_from_model(self, model: Optional[nn.Module] = None) -> None:
        """Make the source recordable (hooks, import checks).

        Args:
            model (nn.Module, optional): The model holding the source.
        """

    def initialize(self, model: Optional[nn.Module] = None) -> None:
        """Initialize the recorder (idempotent per model).

        Args:
            model (nn.Module, optional): The model to record from. Needed
                by module and parameter recorders.
        """
        self.prepare_from_model(model)
        self._initialized = True

    def reset_data_buffer(self) -> None:
        """Clear the recorded data."""
        self._data_buffer.clear()

    def get_record_data(self,
                        record_idx: int = 0,
                        data_idx: Optional[int] = None) -> Any:
        """Get one record.

        Args:
            record_idx (int): Index of the record (the n-th call of the
                source during the forward). Defaults to 0.
            data_idx (int, optional): When the record is a tuple or list
                (several outputs or inputs), the index of the item.

        Returns:
            Any: The record, or one item of it.
        """
        buffer = self.data_buffer
        if not buffer:
            raise RuntimeError(
                f'{type(self).__name__}(source={self.source!r}) recorded '
                'nothing: was the source run inside the recorder context '
                'and was the recorder initialized with the right model?')
        if not -len(buffer) <= record_idx < len(buffer):
            raise IndexError(f'{type(self).__name__}(source={self.source!r}): '
                             f'record_idx={record_idx} is out of range, '
                             f'{len(buffer)} record(s) exist')
        record = buffer[record_idx]
        if data_idx is None:
            return record
        if not isinstance(record, (list, tuple)):
            raise TypeError(
                f'{type(self).__name__}(source={self.source!r}): '
                f'data_idx={data_idx} was given but the record is a '
                f'{type(record).__name__}, not a list or tuple')
        if not -len(record) <= data_idx < len(record):
            raise IndexError(
                f'{type(self).__name__}(source={self.source!r}): '
                f'data_idx={data_idx} is out of range, the record has '
                f'{len(record)} item(s)')
        return record[data_idx]

    def __enter__(self) -> 'BaseRecorder':
        """Clear the buffer and start recording."""
        self.reset_data_buffer()
        self._recording = True
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        """Stop recording."""
        self._recording = False

    def __repr__(self) -> str:
        return f'{type(self).__name__}(source={self.source!r})'
