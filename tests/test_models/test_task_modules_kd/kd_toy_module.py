# Copyright (c) OpenMMLab. All rights reserved.
"""Toy functions and classes patched by the recorder/delivery tests."""
import random


def toy_func() -> int:
    return random.randint(0, 1000000)


def toy_add(a, b=2):
    return a + b


def toy_raise():
    raise ValueError('boom')


class Toy:

    def toy_func(self):
        return random.randint(0, 10000000)

    def toy_add(self, a, b=3):
        return a + b

    @staticmethod
    def toy_static(x):
        return x * 2


class SubToy(Toy):
    pass


def use_toy_func():
    return toy_func()
