# Copyright (c) OpenMMLab. All rights reserved.
import kd_toy_module as toy_module
import pytest
import torch
from mmengine.config import ConfigDict

from mmrazor.models.task_modules import (DistillDeliveryManager,
                                         FunctionOutputsDelivery,
                                         MethodOutputsDelivery)


def test_function_delivery_single_and_fifo():
    delivery = FunctionOutputsDelivery(
        max_keep_data=1, func_path='kd_toy_module.toy_func')
    delivery.override_data = False
    with delivery:
        output_teacher = toy_module.toy_func()
    delivery.override_data = True
    with delivery:
        output_student = toy_module.toy_func()
    assert output_teacher == output_student

    delivery = FunctionOutputsDelivery(
        max_keep_data=2, func_path='kd_toy_module.toy_func')
    delivery.override_data = False
    with delivery:
        t1 = toy_module.toy_func()
        t2 = toy_module.toy_func()
    delivery.override_data = True
    with delivery:
        s1 = toy_module.toy_func()
        s2 = toy_module.toy_func()
        # more calls than the teacher made
        with pytest.raises(RuntimeError, match='nothing to deliver'):
            toy_module.toy_func()
    assert (t1, t2) == (s1, s2)
    assert not hasattr(toy_module.toy_func, '__wrapped__')


def test_delivery_max_keep_data_and_restore():
    delivery = FunctionOutputsDelivery(
        max_keep_data=1, func_path='kd_toy_module.toy_func')
    origin = toy_module.toy_func
    with pytest.raises(RuntimeError, match='max_keep_data=1'):
        with delivery:
            toy_module.toy_func()
            toy_module.toy_func()
    assert toy_module.toy_func is origin
    with pytest.raises(ValueError):
        FunctionOutputsDelivery(
            func_path='kd_toy_module.toy_func', max_keep_data=0)


def test_method_delivery_and_manager_mixup():
    from mmpretrain.models.utils.batch_augments import Mixup
    mixup = Mixup(alpha=1.)
    imgs = torch.randn(4, 3, 8, 8)
    label = torch.eye(10)[torch.randint(0, 10, (4, ))]
    # without delivery the randomness differs
    torch.manual_seed(0)
    a, _ = mixup(imgs, label)
    b, _ = mixup(imgs, label)
    assert not torch.equal(a, b)

    path = 'mmpretrain.models.utils.batch_augments.Mixup.__call__'
    delivery = MethodOutputsDelivery(max_keep_data=1, method_path=path)
    delivery.override_data = False
    with delivery:
        imgs_t, label_t = mixup(imgs, label)
    delivery.override_data = True
    with delivery:
        imgs_s, label_s = mixup(imgs, label)
    assert torch.equal(imgs_t, imgs_s) and torch.equal(label_t, label_s)

    manager = DistillDeliveryManager(
        [ConfigDict(type='MethodOutputs', max_keep_data=1, method_path=path)])
    manager.override_data = False
    with manager:
        imgs_t, label_t = mixup(imgs, label)
    manager.override_data = True
    with manager:
        imgs_s, label_s = mixup(imgs, label)
    assert torch.equal(imgs_t, imgs_s) and torch.equal(label_t, label_s)
    assert manager.deliveries['0'].override_data


def test_manager_dict_and_errors():
    manager = DistillDeliveryManager(
        dict(
            d=dict(
                type='FunctionOutputsDelivery',
                func_path='kd_toy_module.toy_func')))
    assert isinstance(manager.deliveries['d'], FunctionOutputsDelivery)
    with pytest.raises(ValueError, match='MethodInputs'):
        DistillDeliveryManager(
            dict(
                d=dict(
                    type='MethodInputs',
                    method_path='kd_toy_module.Toy.toy_func')))
    with pytest.raises(AttributeError, match='nope'):
        FunctionOutputsDelivery(func_path='kd_toy_module.nope')
